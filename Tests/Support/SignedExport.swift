import Domain
import FileAdapters
import Foundation
import SodiumAdapters

/// A log of `count` entries, built as the server builds logs (`AuditLogHead`), signed with a
/// real Ed25519 key and written to `directory` as a tlog-tiles export.
public struct SignedExport {
    public static let origin = "custos.localhost/audit/0a000000-0000-4000-8000-00000000000a"

    public let directory: URL
    public let entries: [[UInt8]]
    public let signer: SodiumNoteSigner
    public let checkpointNote: SignedNote
    public let levels: MerkleLevels

    public init(count: Int, in directory: URL, seed: UInt8 = 3) throws {
        signer = try SodiumNoteSigner(name: Self.origin, seed: [UInt8](repeating: seed, count: 32))
        var head = AuditLogHead(origin: Self.origin)
        var entries: [[UInt8]] = []
        var levels = MerkleLevels()
        for n in 0..<count {
            let leaf = try head.append(
                eventType: "transaction.recorded", actor: "client:ops",
                payload: ["outcome": "success", "resource": ["type": "transaction", "id": .string("t-\(n)")]],
                nowMs: 1_000 + UInt64(n)
            )
            entries.append(leaf.encoded)
            levels.append(leafHash: leaf.leafHash)
        }
        let root = try MerkleTree.root(treeSize: UInt64(count), from: levels)
        checkpointNote = try signer.signedNote(text: try Checkpoint(origin: Self.origin, size: UInt64(count), rootHash: root).text)
        try DirectoryExportWriter(directory: directory)
            .write(try TiledLogExport.files(entries: entries, checkpointNote: checkpointNote.encoded))
        self.directory = directory
        self.entries = entries
        self.levels = levels
    }

    /// Flips one bit near the end of entry `index`'s bytes (inside its payload), on disk.
    public func flipPayloadBit(ofEntry index: Int) throws {
        let bundle = index / 256
        let width = min(256, entries.count - bundle * 256)
        let url = directory.appendingPathComponent(TilePath.entries(index: UInt64(bundle), partialWidth: width == 256 ? nil : width))
        var decoded = try EntryBundle.decode(Array(try Data(contentsOf: url)))
        decoded[index % 256][decoded[index % 256].count - 3] ^= 0x01
        try Data(try EntryBundle.encode(decoded)).write(to: url)
    }

    /// A tlog-proof for entry `index` under this export's checkpoint.
    public func proof(ofEntry index: Int) throws -> TlogProof {
        TlogProof(
            index: UInt64(index),
            inclusionProof: try MerkleTree.inclusionProof(index: UInt64(index), treeSize: UInt64(entries.count), from: levels),
            checkpoint: checkpointNote
        )
    }
}
