/// Read access to stored audit logs, and the one write a checkpointer makes: saving a signed
/// checkpoint. Entries are returned exactly as stored; verifying them is the caller's job.
public protocol AuditLogStore: Sendable {
    /// The log's head, or nil when nothing was ever appended to it.
    func head(origin: String) async throws -> AuditLogHead?
    /// The stored entries with indices in `start ..< start + count` (`count` at most 4,096), in
    /// index order. Missing rows are simply absent: fewer entries come back, never others.
    func entries(origin: String, from start: UInt64, count: Int) async throws -> [[UInt8]]
    /// The signed checkpoint with the largest size, verbatim, or nil.
    func latestCheckpoint(origin: String) async throws -> String?
    /// Stored Merkle nodes within `ranges` (docs/audit-log.md §10): level 0 holds the entries'
    /// leaf hashes as stored, levels 8, 16, … the nodes saved with checkpoints. Nodes that are not
    /// stored are simply absent; the rest come in level, then index order. Callers ask for at most `nodesPerReadMax` nodes at once.
    func treeNodes(origin: String, in ranges: [MerkleNodeRange]) async throws -> [MerkleNode]
    /// Stores a signed checkpoint of `size` entries and the tree nodes of levels 8 and up made for
    /// it, in one transaction, provided that the log's latest checkpoint is still the one of
    /// `previousSize` entries (0: none). Nodes already stored with the same hash are kept.
    /// With them go the key rotations that this checkpoint is the first to cover (§5.3).
    func saveCheckpoint(
        origin: String, size: UInt64, note: String, extending previousSize: UInt64, nodes: [MerkleNode],
        rotations: [LogKeySchedule.Rotation]
    ) async throws -> CheckpointSaveOutcome
    /// The key rotations of the log that signed checkpoints cover, in version order.
    func keyRotations(origin: String) async throws -> [LogKeySchedule.Rotation]
    /// Logs whose size differs from their latest checkpoint's (grown since; or a checkpoint that
    /// claims more entries than are stored, for the signer to refuse), at most `limit` of them.
    func originsAwaitingCheckpoint(limit: Int) async throws -> [String]
}

/// Signs checkpoint texts with a log's keys (the key name is the log's origin). Key versions
/// count from 1; which versions sign what is the log's `LogKeySchedule`.
public protocol CheckpointSigner: Sendable {
    /// The note of `checkpointText` with one signature per version of `versions`, in that order.
    func sign(checkpointText: String, origin: String, versions: [UInt32]) throws -> SignedNote
    /// The verifier key of `origin`'s key at `version`.
    func verifierKey(origin: String, version: UInt32) throws -> NoteVerifierKey
}

/// What became of a checkpoint handed to `AuditLogStore.saveCheckpoint`.
public enum CheckpointSaveOutcome: Hashable, Sendable {
    /// Stored, with its nodes.
    case saved
    /// Nothing stored: another signer stored a later checkpoint first.
    case superseded
    /// Nothing stored: a node was already stored with a different hash (storage was altered).
    case conflictingNode(level: Int, index: UInt64)
}

extension AuditLogStore {
    /// The most nodes `treeNodes(origin:in:)` is asked for at once.
    public static var nodesPerReadMax: Int { 4_096 }

    /// Fetches the nodes of `ranges` that `nodes` lacks, in reads of at most `nodesPerReadMax`,
    /// and returns the parts that storage does not hold either.
    public func fill(_ nodes: inout MerkleNodeSet, origin: String, ranges: [MerkleNodeRange]) async throws -> [MerkleNodeRange] {
        var pending = nodes.missing(ranges)
        while !pending.isEmpty {
            var batch: [MerkleNodeRange] = []
            var budget = Self.nodesPerReadMax
            while let range = pending.first, budget > 0 {
                let take = min(range.count, budget)
                batch.append(MerkleNodeRange(level: range.level, start: range.start, end: range.start + UInt64(take)))
                budget -= take
                if take == range.count {
                    pending.removeFirst()
                } else {
                    pending[0] = MerkleNodeRange(level: range.level, start: range.start + UInt64(take), end: range.end)
                }
            }
            for node in try await treeNodes(origin: origin, in: batch) { nodes.insert(node) }
        }
        return nodes.missing(ranges)
    }

    /// The largest page `entries(origin:from:count:)` is asked for.
    public static var entriesPerPageMax: Int { 4_096 }
    /// `entriesPerPageMax`, for callers holding an existential store.
    public var entriesPerPage: Int { Self.entriesPerPageMax }

    /// Reads the entries with indices `0 ..< size` page by page, handing each page to `body` with
    /// its first index and how many entries it should hold. Missing rows make a page shorter;
    /// what that means is the caller's to decide.
    public func forEachPage(
        origin: String, size: UInt64,
        _ body: (_ start: UInt64, _ expected: Int, _ entries: [[UInt8]]) throws -> Void
    ) async throws {
        var start: UInt64 = 0
        while start < size {
            let count = Int(min(UInt64(Self.entriesPerPageMax), size - start))
            try body(start, count, try await entries(origin: origin, from: start, count: count))
            start += UInt64(count)
        }
    }
}
