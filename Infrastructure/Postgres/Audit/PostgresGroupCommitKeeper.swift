import Domain
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// `RecordKeeper` with group commit: concurrent changes queue up, and a flusher writes each batch
/// (up to `changesPerBatchMax` changes) in a single database transaction: the business rows, the
/// logs' append locks and heads in one statement (`AuditHeads`), the entries in a second, one
/// COMMIT (one fsync) for the whole batch. Each caller returns only after its batch committed.
/// When the queue knows every log's tail from its last batch, the batch goes as one autocommit
/// statement instead (`flushOnTails`), which the database checks against those tails.
///
/// Changes are queued by log, in `partitions` queues, each with (by default) one flusher on its own
/// connection: a log's batches never wait for each other's locks within one process, while the
/// batches of logs in different queues are written, and committed, side by side (PostgreSQL can
/// flush their commits together). Measured on one log with 64 writers (docs/performance.md),
/// splitting a log's queue between two flushers was slower: the second batch only waits for the
/// first one's lock, and both are half as full.
///
/// One caller's bad change never costs the others theirs:
/// - an event that cannot be encoded is refused before it joins a batch;
/// - a taken transaction id (in the table or earlier in the same batch) fails its change alone,
///   before it gets an entry, and the batch goes on;
/// - a taken idempotency key (in the table, in a transaction in flight, which the batch waits for,
///   or earlier in the same batch) fails its change alone with `IdempotencyError.keyTaken`, before
///   its row goes in; a keyed change whose id is taken has its key taken back with it;
/// - if the batch fails for any other reason before COMMIT, it is rolled back and every change
///   is retried on its own transaction, so only the culprit fails;
/// - if COMMIT itself fails, the outcome is unknown and every change in the batch reports it.
/// Changes with a write other than a transaction row (and its idempotency key) take the
/// one-transaction-per-change path.
public final class PostgresGroupCommitKeeper: RecordKeeper {
    public static let changesPerBatchMax = 256
    public static let partitionsDefault = 4
    /// One flusher a queue: two (each batch built on the tail the other's batch will leave) were
    /// measured slower, 9,600–10,500 against 13,200–16,400 commits/s (docs/performance.md).
    public static let flushersPerQueueDefault = 1
    public static let changesPerBatchDefault = changesPerBatchMax

    private struct Pending {
        let change: AuditedChange
        /// What the change writes (`batchable`), found once when it is queued.
        let row: StoredTransaction?
        let key: IdempotentOutcome?
        let continuation: CheckedContinuation<[AuditReceipt], any Error>
    }

    private final class Queue: Sendable {
        let state = Mutex<(pending: [Pending], flushers: Int)>(([], 0))
        /// The tail of each log as this queue's last committed batch left it: what the next batch
        /// builds on in one statement (`AppendOnTail`). Only ever a guess, checked by the database.
        let tails = Mutex<[String: AuditLogHead]>([:])
    }

    private let client: PostgresClient
    private let origins: AuditOrigins
    private let clock: any Clock
    private let usage: PoolUsage
    private let logger: Logger
    /// Hashes the entries this keeper makes (the flusher does it while its batch's callers wait).
    private let hasher: any SHA256Hashing
    private let single: PostgresRecordKeeper
    /// One queue per partition of the logs, each with at most one flusher (one pooled connection).
    private let queues: [Queue]
    /// Flushers per queue: with more than one, a log's next batch is built on the tail the batch in
    /// flight will leave, and waits in the database while that one commits (a wrong guess only
    /// costs a fall back to the general path).
    private let flushersPerQueue: Int
    /// Changes per batch: a queue's writers split over its flushers.
    private let changesPerBatch: Int

    public init(
        client: PostgresClient, origins: AuditOrigins, clock: any Clock, usage: PoolUsage, logger: Logger,
        partitions: Int = PostgresGroupCommitKeeper.partitionsDefault,
        flushersPerQueue: Int = PostgresGroupCommitKeeper.flushersPerQueueDefault,
        changesPerBatch: Int = PostgresGroupCommitKeeper.changesPerBatchDefault,
        hasher: any SHA256Hashing = PortableSHA256()
    ) {
        precondition((1...64).contains(partitions), "1 to 64 partitions")
        precondition((1...8).contains(flushersPerQueue), "1 to 8 flushers a queue")
        precondition((1...Self.changesPerBatchMax).contains(changesPerBatch), "1 to \(Self.changesPerBatchMax) changes a batch")
        self.flushersPerQueue = flushersPerQueue
        self.changesPerBatch = changesPerBatch
        self.client = client
        self.origins = origins
        self.clock = clock
        self.usage = usage
        self.logger = logger
        self.hasher = hasher
        self.single = PostgresRecordKeeper(client: client, origins: origins, clock: clock, usage: usage, logger: logger)
        self.queues = (0..<partitions).map { _ in Queue() }
    }

    public var partitions: Int { queues.count }

    public func commit(_ change: AuditedChange) async throws -> [AuditReceipt] {
        // Batches hold transaction rows (with their idempotency keys) and entries; any other write
        // (data keys, bundles, access, reviews) takes its own transaction.
        guard let (row, key) = Self.batchable(change) else { return try await single.commit(change) }
        for event in change.events {
            try AuditLeaf.checkBounds(
                origin: origins.origin(of: event.scope), eventType: event.eventType, actor: event.actor,
                payload: event.canonicalPayload
            )
        }
        // The queue of the first event's log (a change's events are in one log today); the batch
        // locks every log its changes append to, so a change spanning partitions is still correct.
        let partition = Int(UInt(bitPattern: change.events[0].scope.hashValue) % UInt(queues.count))
        return try await withCheckedThrowingContinuation { continuation in
            let startFlusher = queues[partition].state.withLock { state in
                state.pending.append(Pending(change: change, row: row, key: key, continuation: continuation))
                guard state.flushers < flushersPerQueue else { return false }
                state.flushers += 1
                return true
            }
            if startFlusher { Task { await self.flushUntilEmpty(partition) } }
        }
    }

    private func flushUntilEmpty(_ partition: Int) async {
        while true {
            // Let the callers resumed by the last batch queue their next changes first: fuller
            // batches (measured: about 64 instead of 32 changes with 64 writers).
            await Task.yield()
            let batch = queues[partition].state.withLock { state -> [Pending] in
                guard !state.pending.isEmpty else {
                    state.flushers -= 1
                    return []
                }
                let count = min(state.pending.count, changesPerBatch)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if batch.isEmpty { return }
            if await flushOnTails(batch, queue: queues[partition]) { continue }
            await flush(batch, queue: queues[partition])
        }
    }

    /// What a change holds when a batch can take it: nothing but entries, a transaction row, or a
    /// row and the idempotency key that names it (in that order, as `RecordTransaction` commits them).
    static func batchable(_ change: AuditedChange) -> (row: StoredTransaction?, key: IdempotentOutcome?)? {
        switch change.writes.count {
        case 0: return (nil, nil)
        case 1: if case .insertTransaction(let row) = change.writes[0] { return (row, nil) }
        case 2:
            if case .rememberOutcome(let key) = change.writes[0], case .insertTransaction(let row) = change.writes[1],
               key.resource == .transaction(row.id) { return (row, key) }
        default: break
        }
        return nil
    }

    /// The batch failed before COMMIT: rolled back, nothing of it stored.
    private struct BatchNotApplied: Error {
        let underlying: any Error
    }

    /// The whole batch in one autocommit statement, built on the logs' tails as this queue last
    /// committed them: one round trip instead of four. Returns false, having changed nothing, when
    /// a tail is unknown, an id repeats within the batch, or the database refused the statement
    /// (a taken id, a tail that moved, or anything else it rolled back); the general path then
    /// decides change by change. A connection lost with the statement in flight leaves the outcome
    /// unknown, as a failed COMMIT does: every change reports it.
    private func flushOnTails(_ batch: [Pending], queue: Queue) async -> Bool {
        let changes = batch.map(\.change)
        var scopes: [String: AuditScope] = [:]
        var rows: [StoredTransaction] = []
        var ids: Set<TransactionID> = []
        for pending in batch {
            for event in pending.change.events { scopes[origins.origin(of: event.scope)] = event.scope }
            // Keyed changes take the general path, which inserts their keys first.
            guard pending.key == nil else { return false }
            if let transaction = pending.row {
                guard ids.insert(transaction.id).inserted else { return false }
                rows.append(transaction)
            }
        }
        // Read the tails, build on them and leave this batch's tails for the next one, in one step:
        // two flushers of a queue never build on the same tail.
        let nowMs = clock.now().unixMillisecondsClamped
        let built = queue.tails.withLock { cached -> (
            tails: [(origin: String, scope: AuditScope, tail: AuditLogHead)], leaves: [AuditLeaf], outcomes: [[AuditReceipt]]
        )? in
            guard scopes.keys.allSatisfy({ cached[$0] != nil }) else { return nil }
            var heads = cached.filter { scopes[$0.key] != nil }
            let tails = scopes.keys.sorted().map { (origin: $0, scope: scopes[$0]!, tail: heads[$0]!) }
            var leaves: [AuditLeaf] = []
            var outcomes: [[AuditReceipt]] = []
            do {
                for change in changes {
                    let made = try origins.append(change.events, to: &heads, nowMs: nowMs, hasher: hasher)
                    leaves += made
                    outcomes.append(made.map(AuditReceipt.init))
                }
            } catch {
                return nil  // the general path reports an entry that cannot be made, change by change
            }
            for (origin, head) in heads { cached[origin] = head }
            return (tails, leaves, outcomes)
        }
        guard let (tails, leaves, outcomes) = built else { return false }
        do {
            try await usage.track {
                try await client.withConnection { connection in
                    // Drained: a statement that returns a row reports a failure during its execution
                    // only to whoever reads its rows.
                    for try await _ in try await connection.execute(AppendOnTail(rows: rows, tails: tails, leaves: leaves), logger: logger) {}
                }
            }
        } catch let error as PSQLError where error.code == .server {
            queue.tails.withLock { cached in for origin in scopes.keys { cached[origin] = nil } }
            return false
        } catch {
            queue.tails.withLock { cached in for origin in scopes.keys { cached[origin] = nil } }
            let failure: any Error = DatabaseFailure.mapped(error, operation: "group commit")
            for pending in batch { pending.continuation.resume(throwing: failure) }
            return true
        }
        for (pending, receipts) in zip(batch, outcomes) { pending.continuation.resume(returning: receipts) }
        return true
    }

    private func flush(_ batch: [Pending], queue: Queue) async {
        let batchOrigins = Set(batch.flatMap { $0.change.events.map { origins.origin(of: $0.scope) } })
        // Whatever happens below, the tails are re-learned from a batch that commits.
        queue.tails.withLock { cached in for origin in batchOrigins { cached[origin] = nil } }
        do {
            let (outcomes, heads) = try await usage.track {
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    let applied: (outcomes: [Result<[AuditReceipt], any Error>], heads: [String: AuditLogHead])
                    do {
                        // A batch holds rows of several tenants (migrations/0016).
                        try await connection.setRowScope(.system, logger: logger)
                        applied = try await apply(batch, on: connection)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw BatchNotApplied(underlying: error)
                    }
                    try await connection.query("COMMIT", logger: logger)
                    return applied
                }
            }
            queue.tails.withLock { cached in for (origin, head) in heads { cached[origin] = head } }
            precondition(outcomes.count == batch.count, "one outcome per change")
            for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(with: outcome) }
        } catch let notApplied as BatchNotApplied where batch.count > 1 {
            logger.warning("group commit: batch rolled back, retrying its changes one by one", metadata: [
                "changes": .stringConvertible(batch.count), "error": .string(String(describing: notApplied.underlying)),
            ])
            for pending in batch {
                do {
                    pending.continuation.resume(returning: try await single.commit(pending.change))
                } catch {
                    pending.continuation.resume(throwing: error)
                }
            }
        } catch {
            let cause = (error as? BatchNotApplied)?.underlying ?? error
            let failure: any Error = DatabaseFailure.mapped(cause, operation: "group commit")
            for pending in batch { pending.continuation.resume(throwing: failure) }
        }
    }

    /// The batch inside one transaction; returns each change's outcome in order.
    private func apply(
        _ batch: [Pending], on connection: PostgresConnection
    ) async throws -> (outcomes: [Result<[AuditReceipt], any Error>], heads: [String: AuditLogHead]) {
        var outcomes = [Result<[AuditReceipt], any Error>?](repeating: nil, count: batch.count)
        // Business rows first, then every log's lock and head, in one statement: the first change
        // with a given id may insert it; a taken id fails its change.
        var firstByID: [TransactionID: Int] = [:]
        var scopes: [String: AuditScope] = [:]
        var keyed: [Int: IdempotentOutcome] = [:]
        var owners: Set<PostgresIdempotencyStore.Owner> = []
        for (offset, pending) in batch.enumerated() {
            for event in pending.change.events { scopes[origins.origin(of: event.scope)] = event.scope }
            guard let transaction = pending.row else { continue }
            if firstByID[transaction.id] != nil {
                outcomes[offset] = .failure(TransactionError.duplicateID(transaction.id))
                continue
            }
            if let key = pending.key {
                // A key twice in one batch: the later change finds it taken (and replays the first).
                guard owners.insert(PostgresIdempotencyStore.Owner(key)).inserted else {
                    outcomes[offset] = .failure(IdempotencyError.keyTaken)
                    continue
                }
                keyed[offset] = key
            }
            firstByID[transaction.id] = offset
        }
        // Keys first, before any lock: a duplicate in flight elsewhere is waited for here, and the
        // change whose key was taken writes nothing.
        let insertedKeys = try await PostgresIdempotencyStore.insert(Array(keyed.values), on: connection, logger: logger)
        for (offset, key) in keyed where !insertedKeys.contains(PostgresIdempotencyStore.Owner(key)) {
            outcomes[offset] = .failure(IdempotencyError.keyTaken)
        }
        var rows: [StoredTransaction] = []
        for (offset, pending) in batch.enumerated() where outcomes[offset] == nil {
            if let transaction = pending.row { rows.append(transaction) }
        }
        let (inserted, lockedHeads) = try await AuditHeads.insertAndLock(rows, logs: scopes, on: connection, logger: logger)
        var heads = lockedHeads
        for transaction in rows where !inserted.contains(transaction.id) {
            let offset = firstByID[transaction.id]!
            // A key never outlives its row: taken back in this same transaction.
            if let key = keyed[offset] { try await PostgresIdempotencyStore.delete(key, on: connection, logger: logger) }
            outcomes[offset] = .failure(TransactionError.duplicateID(transaction.id))
        }
        // Entries for every change still standing, in queue order.
        let nowMs = clock.now().unixMillisecondsClamped
        var leaves: [AuditLeaf] = []
        for (offset, pending) in batch.enumerated() where outcomes[offset] == nil {
            let made = try origins.append(pending.change.events, to: &heads, nowMs: nowMs, hasher: hasher)
            leaves += made
            outcomes[offset] = .success(made.map(AuditReceipt.init))
        }
        try await InsertEntries.run(leaves, on: connection, logger: logger)
        return (outcomes.map { $0! }, heads)
    }
}
