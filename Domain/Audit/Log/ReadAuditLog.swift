/// What the audit API serves about one log: its latest signed checkpoint, its entries, RFC 9162
/// proofs, and the verifier keys to check them with (docs/audit-log.md §6).
///
/// Proofs are assembled from stored tree nodes (§10): a few hundred at most, whatever the
/// log's size. They are served as stored; the caller checks them against a signed checkpoint.
public struct ReadAuditLog: Sendable {
    public enum Failure: DomainError, Equatable, CustomStringConvertible {
        case noCheckpoint
        public var slug: String { "audit-log-empty" }
        public var description: String { "this log has no signed checkpoint yet" }
    }

    /// Storage holds fewer entries than its own checkpoint covers: a fault of the server (or of
    /// someone who changed its database), never of the caller. Deliberately not a `DomainError`,
    /// so that it is answered as an internal error and logged.
    public struct StoredEntriesMissing: Error, CustomStringConvertible {
        public let origin: String
        public let from: UInt64
        public var description: String { "stored entries of \(origin) are missing from index \(from)" }
    }

    /// Storage lacks tree nodes that its own checkpoint covers: a fault of the server, as above.
    public struct StoredNodesMissing: Error, CustomStringConvertible {
        public let origin: String
        public let ranges: [MerkleNodeRange]
        public var description: String {
            "stored tree nodes of \(origin) are missing: \(ranges.map(\.description).joined(separator: ", "))"
        }
    }

    static func outOfRange(field: String, reason: String) -> ValidationFailed {
        ValidationFailed([FieldError(field: field, code: "out_of_range", reason: reason)])
    }

    public static let entriesPerPageMax = 1_000

    private let store: any AuditLogStore
    private let keys: any CheckpointSigner

    public init(store: any AuditLogStore, keys: any CheckpointSigner) {
        self.store = store
        self.keys = keys
    }

    public func checkpoint(origin: String) async throws -> String {
        guard let note = try await store.latestCheckpoint(origin: origin) else { throw Failure.noCheckpoint }
        return note
    }

    /// One of a log's keys and when it signs (§5.3).
    public struct VersionedKey: Hashable, Sendable {
        public let version: UInt32
        public let key: NoteVerifierKey
        /// The index of the `log.key_rotated` entry that announced it; nil for version 1.
        public let announcedAtIndex: UInt64?
        /// When it stops signing (Unix ms): the overlap of the rotation that replaced it; nil
        /// while it is the current key.
        public let signsUntilMs: UInt64?
    }

    /// Every key the log's checkpoints were signed with, oldest first; the last is current.
    public func verifierKeys(origin: String) async throws -> [VersionedKey] {
        let schedule = try LogKeySchedule(rotations: try await store.keyRotations(origin: origin))
        return try schedule.versions.map { version in
            let rotation = schedule.rotations.first { $0.version == version }
            let next = schedule.rotations.first { $0.version == version + 1 }
            return VersionedKey(
                version: version, key: try keys.verifierKey(origin: origin, version: version),
                announcedAtIndex: rotation?.entryIndex, signsUntilMs: next?.overlapUntilMs
            )
        }
    }

    /// Entries `start ..< start + limit` that the latest checkpoint covers (only checkpointed
    /// entries are served, so that everything served can be proven).
    public func entries(origin: String, start: UInt64, limit: Int) async throws -> (entries: [(index: UInt64, leaf: [UInt8])], treeSize: UInt64) {
        guard (1...Self.entriesPerPageMax).contains(limit) else {
            throw Self.outOfRange(field: "limit", reason: "must be from 1 to \(Self.entriesPerPageMax)")
        }
        let size = try await checkpointedSize(origin: origin)
        guard start < size else { return ([], size) }
        let count = Int(min(UInt64(limit), size - start))
        let leaves = try await store.entries(origin: origin, from: start, count: count)
        guard leaves.count == count else { throw StoredEntriesMissing(origin: origin, from: start + UInt64(leaves.count)) }
        return (leaves.enumerated().map { (start + UInt64($0.offset), $0.element) }, size)
    }

    /// The inclusion proof of entry `index` in the tree of `size` (default: the latest checkpoint's).
    public func inclusionProof(origin: String, index: UInt64, size: UInt64?) async throws -> (size: UInt64, hashes: [[UInt8]]) {
        let treeSize = try await provableSize(origin: origin, requested: size, field: "size")
        guard index < treeSize else { throw Self.outOfRange(field: "index", reason: "must be below the tree size \(treeSize)") }
        let plan = try MerkleTree.inclusionPlan(index: index, treeSize: treeSize)
        return (treeSize, plan.hashes(from: try await storedNodes(origin: origin, treeSize: treeSize, plan: plan)))
    }

    /// The consistency proof between trees of `from` and `to` entries (default: the latest checkpoint's).
    public func consistencyProof(origin: String, from: UInt64, to: UInt64?) async throws -> (to: UInt64, hashes: [[UInt8]]) {
        let treeSize = try await provableSize(origin: origin, requested: to, field: "to")
        guard from >= 1, from <= treeSize else {
            throw Self.outOfRange(field: "from", reason: "must be from 1 to the tree size \(treeSize)")
        }
        let plan = try MerkleTree.consistencyPlan(size1: from, size2: treeSize)
        return (treeSize, plan.hashes(from: try await storedNodes(origin: origin, treeSize: treeSize, plan: plan)))
    }

    private func checkpointedSize(origin: String) async throws -> UInt64 {
        let note = try await checkpoint(origin: origin)
        return try Checkpoint(parsing: try SignedNote(parsing: note).text).size
    }

    /// A requested size must be within the latest checkpoint, so that a proof can be checked.
    private func provableSize(origin: String, requested: UInt64?, field: String) async throws -> UInt64 {
        let size = try await checkpointedSize(origin: origin)
        guard let requested else { return size }
        guard requested >= 1, requested <= size else {
            throw Self.outOfRange(field: field, reason: "must be from 1 to the checkpointed size \(size)")
        }
        return requested
    }

    private func storedNodes(origin: String, treeSize: UInt64, plan: MerkleProofPlan) async throws -> MerkleNodeSet {
        var nodes = MerkleNodeSet(treeSize: treeSize)
        let missing = try await store.fill(&nodes, origin: origin, ranges: MerkleNodeSet.ranges(covering: plan.subtrees))
        guard missing.isEmpty else { throw StoredNodesMissing(origin: origin, ranges: missing) }
        return nodes
    }
}
