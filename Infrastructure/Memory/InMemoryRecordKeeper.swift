import Domain
import Synchronization

/// A `RecordKeeper` in process memory: the business rows live in an `InMemoryTransactionRepository`
/// and each log is a list of encoded entries. One lock covers a whole commit, so a change is
/// applied entirely or not at all, and every log stays gap-free under concurrency.
public final class InMemoryRecordKeeper: RecordKeeper {
    public let transactions: InMemoryTransactionRepository
    public let policyBundles = InMemoryPolicyBundleStore()
    public let access = InMemoryAccessDirectory()
    public let idempotency = InMemoryIdempotencyStore()
    private let origins: AuditOrigins
    private let clock: any Clock
    private let logs = Mutex<[String: (head: AuditLogHead, entries: [[UInt8]])]>([:])
    private let commitLock = Mutex<Void>(())
    /// Per log: checkpoints by size, and the tree nodes of levels 8 and up saved with them.
    private let signed = Mutex<[String: SignedState]>([:])

    private struct NodeKey: Hashable {
        let level: Int
        let index: UInt64
    }

    private struct SignedState {
        var checkpoints: [UInt64: String] = [:]
        var nodes: [NodeKey: [UInt8]] = [:]
        var rotations: [LogKeySchedule.Rotation] = []
    }

    public init(transactions: InMemoryTransactionRepository, origins: AuditOrigins = AuditOrigins(), clock: any Clock) {
        self.transactions = transactions
        self.origins = origins
        self.clock = clock
    }

    public func commit(_ change: AuditedChange) async throws -> [AuditReceipt] {
        try commitLock.withLock { _ in
            // Check every write first, so that a refused change leaves nothing behind.
            for write in change.writes {
                switch write {
                case .insertTransaction(let transaction):
                    guard !transactions.contains(id: transaction.id) else { throw TransactionError.duplicateID(transaction.id) }
                    // As the database does (migrations/0011): sealed only under an active key of the tenant.
                    if let key = transaction.dataKey {
                        let stored = transactions.keys.storedKey(key.reference.id)
                        guard stored?.status == .active, stored?.subject.tenant == transaction.tenantID else { throw DataKeyError.keyNotActive }
                    }
                case .addDataKey(let record):
                    try transactions.keys.checkAdd(record)
                case .activatePolicyBundle(let stored, let activation):
                    policyBundles.check(stored, activation)
                case .createTenant, .registerClient, .revokeClient:
                    try access.check(write)
                case .rememberOutcome(let outcome):
                    try idempotency.check(outcome)
                case .decideReview(let review):
                    try transactions.checkReview(review)
                }
            }
            var staged = logs.withLock { $0 }
            var receipts: [AuditReceipt] = []
            let nowMs = clock.now().unixMillisecondsClamped
            for event in change.events {
                let origin = origins.origin(of: event.scope)
                var log = staged[origin] ?? (AuditLogHead(origin: origin), [])
                let leaf = try log.head.append(eventType: event.eventType, actor: event.actor, canonicalPayload: event.canonicalPayload, nowMs: nowMs)
                log.entries.append(leaf.encoded)
                staged[origin] = log
                receipts.append(AuditReceipt(origin: origin, index: leaf.index))
            }
            for write in change.writes {
                switch write {
                case .insertTransaction(let transaction): try transactions.insert(transaction)
                case .addDataKey(let record): transactions.keys.add(record)
                case .activatePolicyBundle(let stored, let activation): policyBundles.apply(stored, activation)
                case .createTenant, .registerClient, .revokeClient: access.apply(write)
                case .rememberOutcome(let outcome): idempotency.apply(outcome)
                case .decideReview(let review): transactions.addReview(review)
                }
            }
            logs.withLock { $0 = staged }
            return receipts
        }
    }

    /// The encoded entries of a log, in order (empty for a log never written).
    public func entries(of scope: AuditScope) -> [[UInt8]] {
        logs.withLock { $0[origins.origin(of: scope)]?.entries ?? [] }
    }
}

/// The same logs, read back as an `AuditLogStore`, with checkpoints kept beside them.
extension InMemoryRecordKeeper: AuditLogStore {
    public func head(origin: String) async throws -> AuditLogHead? {
        logs.withLock { $0[origin]?.head }
    }

    public func entries(origin: String, from start: UInt64, count: Int) async throws -> [[UInt8]] {
        logs.withLock { logs in
            guard let entries = logs[origin]?.entries, start < UInt64(entries.count) else { return [] }
            return Array(entries[Int(start)..<min(entries.count, Int(start) + count)])  // no gaps in memory
        }
    }

    public func treeNodes(origin: String, in ranges: [MerkleNodeRange]) async throws -> [MerkleNode] {
        precondition(ranges.reduce(0) { $0 + $1.count } <= Self.nodesPerReadMax, "read at most \(Self.nodesPerReadMax) nodes at once")
        let entries = logs.withLock { $0[origin]?.entries ?? [] }
        let stored = signed.withLock { $0[origin]?.nodes ?? [:] }
        var result: [MerkleNode] = []
        for range in ranges.sorted(by: { ($0.level, $0.start) < ($1.level, $1.start) }) {
            for index in range.start..<range.end {
                if range.level == 0 {
                    guard index < UInt64(entries.count) else { break }
                    result.append(MerkleNode(level: 0, index: index, hash: MerkleTree.leafHash(entries[Int(index)])))
                } else if let hash = stored[NodeKey(level: range.level, index: index)] {
                    result.append(MerkleNode(level: range.level, index: index, hash: hash))
                }
            }
        }
        return result
    }

    public func latestCheckpoint(origin: String) async throws -> String? {
        signed.withLock { $0[origin]?.checkpoints.max { $0.key < $1.key }?.value }
    }

    public func saveCheckpoint(
        origin: String, size: UInt64, note: String, extending previousSize: UInt64, nodes: [MerkleNode],
        rotations: [LogKeySchedule.Rotation]
    ) async throws -> CheckpointSaveOutcome {
        signed.withLock { all in
            var state = all[origin] ?? SignedState()
            guard (state.checkpoints.keys.max() ?? 0) == previousSize, size > previousSize else { return .superseded }
            for node in nodes {
                if let held = state.nodes[NodeKey(level: node.level, index: node.index)], held != node.hash {
                    return .conflictingNode(level: node.level, index: node.index)
                }
            }
            for node in nodes { state.nodes[NodeKey(level: node.level, index: node.index)] = node.hash }
            state.rotations += rotations
            state.checkpoints[size] = note
            all[origin] = state
            return .saved
        }
    }

    public func keyRotations(origin: String) async throws -> [LogKeySchedule.Rotation] {
        signed.withLock { $0[origin]?.rotations ?? [] }
    }

    public func originsAwaitingCheckpoint(limit: Int) async throws -> [String] {
        let sizes = logs.withLock { $0.mapValues(\.head.size) }
        let latest = signed.withLock { $0.compactMapValues { $0.checkpoints.keys.max() } }
        // As in PostgreSQL: a log awaits the signer when it has no checkpoint yet, or its size and
        // its latest checkpoint's differ (grown since, or a checkpoint claiming more: refused loudly).
        return sizes.filter { origin, size in latest[origin].map { size != $0 } ?? true }.keys.sorted().prefix(limit).map { $0 }
    }
}
