import Foundation

/// A C2SP `tlog-proof@v1` file: evidence that one entry is in a log, verifiable offline with the
/// log's verifier key (docs/audit-log.md §6).
public struct TlogProof: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"
    public static let bytesMax = 1 << 16

    public let index: UInt64
    public let inclusionProof: [[UInt8]]
    /// Opaque, unauthenticated application data (the `extra` line), if any.
    public let extra: [UInt8]?
    public let checkpoint: SignedNote

    public init(index: UInt64, inclusionProof: [[UInt8]], extra: [UInt8]? = nil, checkpoint: SignedNote) {
        self.index = index
        self.inclusionProof = inclusionProof
        self.extra = extra
        self.checkpoint = checkpoint
    }

    public init(parsing text: String) throws(NoteError) {
        guard text.utf8.count <= TlogProof.bytesMax else { throw .tooLarge }
        guard let blank = text.range(of: "\n\n") else { throw .malformedNote("tlog-proof: no blank line before the checkpoint") }
        var lines = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == TlogProof.header else { throw .malformedNote("tlog-proof: the first line must be \(TlogProof.header)") }
        lines.removeFirst()
        var extra: [UInt8]?
        if let line = lines.first, line.hasPrefix("extra ") {
            guard let data = Data(base64Encoded: String(line.dropFirst(6))) else { throw .malformedNote("tlog-proof: extra is not base64") }
            extra = Array(data)
            lines.removeFirst()
        }
        guard let indexLine = lines.first, indexLine.hasPrefix("index "),
              let index = TlogProof.decimal(String(indexLine.dropFirst(6)))
        else { throw .malformedNote("tlog-proof: missing or malformed index line") }
        var proof: [[UInt8]] = []
        for line in lines.dropFirst() {
            guard let hash = Data(base64Encoded: line), hash.count == MerkleTree.hashByteCount else {
                throw .malformedNote("tlog-proof: a proof line is not a base64 SHA-256 hash")
            }
            proof.append(Array(hash))
        }
        let checkpoint = try SignedNote(parsing: String(text[blank.upperBound...]))
        self.init(index: index, inclusionProof: proof, extra: extra, checkpoint: checkpoint)
    }

    public var encoded: String {
        var lines = [TlogProof.header]
        if let extra { lines.append("extra " + Data(extra).base64EncodedString()) }
        lines.append("index \(index)")
        lines += inclusionProof.map { Data($0).base64EncodedString() }
        return lines.joined(separator: "\n") + "\n\n" + checkpoint.encoded
    }

    /// Verifies the checkpoint under the trusted keys, then the entry's inclusion in it.
    /// Returns the checkpoint the entry is proven to be part of.
    @discardableResult
    public func verify(
        leafHash: [UInt8], trusting keys: [NoteVerifierKey], with verifier: any SignatureVerifier
    ) throws -> Checkpoint {
        try checkpoint.verify(trusting: keys, with: verifier)
        let body = try Checkpoint(parsing: checkpoint.text)
        try MerkleTree.verifyInclusion(
            leafHash: leafHash, index: index, treeSize: body.size, proof: inclusionProof, root: body.rootHash
        )
        return body
    }

    private static func decimal(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), text == "0" || !text.hasPrefix("0") else {
            return nil
        }
        return UInt64(text)
    }
}
