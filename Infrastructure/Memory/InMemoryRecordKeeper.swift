import Domain
import Synchronization

/// A `RecordKeeper` in process memory: the business rows live in an `InMemoryTransactionRepository`
/// and each log is a list of encoded entries. One lock covers a whole commit, so a change is
/// applied entirely or not at all, and every log stays gap-free under concurrency.
public final class InMemoryRecordKeeper: RecordKeeper {
    public let transactions: InMemoryTransactionRepository
    private let origins: AuditOrigins
    private let clock: any Clock
    private let logs = Mutex<[String: (head: AuditLogHead, entries: [[UInt8]])]>([:])
    private let commitLock = Mutex<Void>(())
    private let checkpoints = Mutex<[String: [UInt64: String]]>([:])

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
                }
            }
            var staged = logs.withLock { $0 }
            var receipts: [AuditReceipt] = []
            let nowMs = clock.now().unixMillisecondsClamped
            for event in change.events {
                let origin = origins.origin(of: event.scope)
                var log = staged[origin] ?? (AuditLogHead(origin: origin), [])
                let leaf = try log.head.append(eventType: event.eventType, actor: event.actor, payload: event.payload, nowMs: nowMs)
                log.entries.append(leaf.encoded)
                staged[origin] = log
                receipts.append(AuditReceipt(origin: origin, index: leaf.index))
            }
            for write in change.writes {
                switch write {
                case .insertTransaction(let transaction): try transactions.insert(transaction)
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

    public func latestCheckpoint(origin: String) async throws -> String? {
        checkpoints.withLock { $0[origin]?.max { $0.key < $1.key }?.value }
    }

    public func saveCheckpoint(origin: String, size: UInt64, note: String) async throws {
        checkpoints.withLock { all in
            if all[origin]?[size] == nil { all[origin, default: [:]][size] = note }
        }
    }

    public func originsAwaitingCheckpoint(limit: Int) async throws -> [String] {
        let sizes = logs.withLock { $0.mapValues(\.head.size) }
        let signed = checkpoints.withLock { $0.compactMapValues { $0.keys.max() } }
        // As in PostgreSQL: a log awaits a checkpoint when it has none yet, or has grown since.
        return sizes.filter { origin, size in signed[origin].map { size > $0 } ?? true }.keys.sorted().prefix(limit).map { $0 }
    }
}
