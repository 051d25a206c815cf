import Foundation

public enum NoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedNote(String)
    case malformedVerifierKey(String)
    case invalidKeyName
    case tooLarge
    /// A signature by a known key that does not verify: the note was altered or forged.
    case invalidSignature(keyName: String)
    /// No signature by any trusted key (signatures by unknown keys are ignored).
    case noTrustedSignature

    public var description: String {
        switch self {
        case .malformedNote(let why): "malformed signed note: \(why)"
        case .malformedVerifierKey(let why): "malformed verifier key: \(why)"
        case .invalidKeyName: "invalid key name: it must be non-empty, without spaces or '+'"
        case .tooLarge: "signed note larger than \(SignedNote.bytesMax) bytes or with too many signatures"
        case .invalidSignature(let name): "signature by \(name) does not verify"
        case .noTrustedSignature: "no signature by a trusted key"
        }
    }
}

/// Ed25519 signature verification (RFC 8032), the port libsodium implements.
public protocol SignatureVerifier: Sendable {
    func isValidEd25519Signature(_ signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool
}

/// A C2SP signed note: a text ending in a newline, a blank line, then one line per signature,
/// `— <key name> <base64(key id ‖ signature)>`. Signatures are over the text, newline included.
public struct SignedNote: Hashable, Sendable {
    public struct Signature: Hashable, Sendable {
        public let keyName: String
        public let keyID: [UInt8]
        public let signature: [UInt8]
        public init(keyName: String, keyID: [UInt8], signature: [UInt8]) {
            self.keyName = keyName
            self.keyID = keyID
            self.signature = signature
        }
    }

    public static let bytesMax = 1 << 20
    public static let signaturesMax = 100
    static let dash = "\u{2014} "

    public let text: String
    public let signatures: [Signature]

    public init(text: String, signatures: [Signature]) throws(NoteError) {
        guard text.hasSuffix("\n"), !text.hasSuffix("\n\n") || text == "\n" else {
            throw .malformedNote("the text must end in exactly one newline")
        }
        guard signatures.count <= SignedNote.signaturesMax else { throw .tooLarge }
        self.text = text
        self.signatures = signatures
    }

    /// Parses a note; unknown-key signatures are kept (verification ignores them).
    public init(parsing note: String) throws(NoteError) {
        guard note.utf8.count <= SignedNote.bytesMax else { throw .tooLarge }
        guard note.hasSuffix("\n") else { throw .malformedNote("the note must end in a newline") }
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw .malformedNote("no blank line before the signatures")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let signatureBlock = note[split.upperBound...].dropLast()
        var signatures: [Signature] = []
        for line in signatureBlock.split(separator: "\n", omittingEmptySubsequences: false) {
            signatures.append(try SignedNote.parseSignature(String(line)))
        }
        guard !signatures.isEmpty else { throw .malformedNote("no signature lines") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
            throw .malformedNote("the text holds control characters")
        }
        try self.init(text: text, signatures: signatures)
    }

    private static func parseSignature(_ line: String) throws(NoteError) -> Signature {
        guard line.hasPrefix(dash) else { throw .malformedNote("a signature line must start with an em dash and a space") }
        let fields = line.dropFirst(dash.count).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, NoteVerifierKey.isValidName(String(fields[0])) else {
            throw .malformedNote("a signature line must be: — <name> <base64>")
        }
        guard let blob = Data(base64Encoded: String(fields[1])), blob.count > 4 else {
            throw .malformedNote("signature of \(fields[0]) is not base64 of a key id and a signature")
        }
        return Signature(keyName: String(fields[0]), keyID: Array(blob.prefix(4)), signature: Array(blob.dropFirst(4)))
    }

    /// The note as text: the signed text, a blank line, the signature lines.
    public var encoded: String {
        text + "\n" + signatures.map {
            SignedNote.dash + $0.keyName + " " + Data($0.keyID + $0.signature).base64EncodedString() + "\n"
        }.joined()
    }

    /// The trusted keys whose signatures verify. Signatures by keys not in `trusted` are ignored;
    /// a signature by a trusted key that fails is an error, and so is having no verified signature.
    @discardableResult
    public func verify(trusting trusted: [NoteVerifierKey], with verifier: any SignatureVerifier) throws(NoteError) -> [NoteVerifierKey] {
        let message = Array(text.utf8)
        var verified: [NoteVerifierKey] = []
        for signature in signatures {
            guard let key = trusted.first(where: { $0.name == signature.keyName && $0.keyID == signature.keyID }) else {
                continue
            }
            guard signature.signature.count == 64,
                  verifier.isValidEd25519Signature(signature.signature, of: message, publicKey: key.publicKey)
            else { throw .invalidSignature(keyName: key.name) }
            if !verified.contains(key) { verified.append(key) }
        }
        guard !verified.isEmpty else { throw .noTrustedSignature }
        return verified
    }
}
