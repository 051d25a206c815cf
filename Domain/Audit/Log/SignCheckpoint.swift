/// Signs a new checkpoint for a log that has grown (docs/audit-log.md §5.1). Before signing it
/// recomputes the root from the stored entries, re-checks their chain, and proves that the new
/// tree is consistent with the last signed checkpoint: the log never signs a fork.
public struct SignCheckpoint: Sendable {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case storedEntriesDisagree(origin: String, detail: String)
        case inconsistentWithPreviousCheckpoint(origin: String, detail: String)

        public var description: String {
            switch self {
            case .storedEntriesDisagree(let origin, let detail): "refusing to sign \(origin): stored entries disagree: \(detail)"
            case .inconsistentWithPreviousCheckpoint(let origin, let detail):
                "refusing to sign \(origin): not consistent with its last checkpoint: \(detail)"
            }
        }
    }

    private let store: any AuditLogStore
    private let signer: any CheckpointSigner
    private let verifier: any SignatureVerifier

    public init(store: any AuditLogStore, signer: any CheckpointSigner, verifier: any SignatureVerifier) {
        self.store = store
        self.signer = signer
        self.verifier = verifier
    }

    /// The new signed checkpoint, or nil when the log has not grown since the last one.
    @discardableResult
    public func callAsFunction(origin: String) async throws -> SignedNote? {
        guard let head = try await store.head(origin: origin) else { return nil }
        let previous = try await store.latestCheckpoint(origin: origin).map { try SignedNote(parsing: $0) }
        let previousBody = try previous.map { try Checkpoint(parsing: $0.text) }
        if let previousBody, previousBody.size >= head.size { return nil }
        if let previous {
            // Cheap, and first: a checkpoint this key cannot vouch for stops us before any reading.
            do {
                try previous.verify(trusting: try signer.verifierKeys(origin: origin), with: verifier)
            } catch {
                throw Refusal.inconsistentWithPreviousCheckpoint(origin: origin, detail: "\(error)")
            }
        }
        let levels = try await storedLevels(origin: origin, size: head.size)
        let root = try MerkleTree.root(treeSize: head.size, from: levels)
        if let previousBody, previousBody.size > 0 {
            do {
                let proof = try MerkleTree.consistencyProof(size1: previousBody.size, size2: head.size, from: levels)
                try MerkleTree.verifyConsistency(
                    size1: previousBody.size, size2: head.size, root1: previousBody.rootHash, root2: root, proof: proof
                )
            } catch {
                throw Refusal.inconsistentWithPreviousCheckpoint(origin: origin, detail: "\(error)")
            }
        }
        let checkpoint = try Checkpoint(origin: origin, size: head.size, rootHash: root)
        let note = try signer.sign(checkpointText: checkpoint.text, origin: origin)
        try await store.saveCheckpoint(origin: origin, size: head.size, note: note.encoded)
        return note
    }

    /// Leaf hashes of the first `size` entries, re-checking the chain as they are read.
    private func storedLevels(origin: String, size: UInt64) async throws -> MerkleLevels {
        var levels = MerkleLevels()
        var chain = EntryChain(origin: origin)
        try await store.forEachPage(origin: origin, size: size) { start, expected, batch in
            guard batch.count == expected else {
                throw Refusal.storedEntriesDisagree(origin: origin, detail: "entries missing from index \(start + UInt64(batch.count))")
            }
            for entry in batch {
                do throws(EntryChain.Broken) {
                    levels.append(leafHash: try chain.accept(entry, at: levels.treeSize))
                } catch {
                    throw Refusal.storedEntriesDisagree(origin: origin, detail: "entry \(error.index ?? levels.treeSize): \(error.reason)")
                }
            }
        }
        return levels
    }
}
