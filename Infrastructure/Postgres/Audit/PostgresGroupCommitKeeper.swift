import Domain
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// `RecordKeeper` with group commit: concurrent changes queue up and one flusher writes each
/// batch (up to `changesPerBatchMax`) in a single database transaction: the logs' head locks,
/// one multi-row insert of the business rows, one of the entries, the head updates, one COMMIT
/// (one fsync) for the whole batch. Each caller returns only after its batch committed.
///
/// One caller's bad change never costs the others theirs:
/// - an event that cannot be encoded is refused before it joins a batch;
/// - a taken transaction id (in the table or earlier in the same batch) fails its change alone,
///   before it gets an entry, and the batch goes on;
/// - if the batch fails for any other reason before COMMIT, it is rolled back and every change
///   is retried on its own transaction, so only the culprit fails;
/// - if COMMIT itself fails, the outcome is unknown and every change in the batch reports it.
/// Changes with more than one business write take the one-transaction-per-change path.
public final class PostgresGroupCommitKeeper: RecordKeeper {
    public static let changesPerBatchMax = 256

    private struct Pending {
        let change: AuditedChange
        let continuation: CheckedContinuation<[AuditReceipt], any Error>
    }

    private let client: PostgresClient
    private let origins: AuditOrigins
    private let clock: any Clock
    private let usage: PoolUsage
    private let logger: Logger
    private let single: PostgresRecordKeeper
    private let queue = Mutex<(pending: [Pending], flushing: Bool)>(([], false))

    public init(client: PostgresClient, origins: AuditOrigins, clock: any Clock, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.origins = origins
        self.clock = clock
        self.usage = usage
        self.logger = logger
        self.single = PostgresRecordKeeper(client: client, origins: origins, clock: clock, usage: usage, logger: logger)
    }

    public func commit(_ change: AuditedChange) async throws -> [AuditReceipt] {
        guard change.writes.count <= 1 else { return try await single.commit(change) }
        for event in change.events {
            try AuditLeaf.checkBounds(
                origin: origins.origin(of: event.scope), eventType: event.eventType, actor: event.actor,
                payload: event.payload.canonicalBytes
            )
        }
        return try await withCheckedThrowingContinuation { continuation in
            let startFlusher = queue.withLock { state in
                state.pending.append(Pending(change: change, continuation: continuation))
                defer { state.flushing = true }
                return !state.flushing
            }
            if startFlusher { Task { await self.flushUntilEmpty() } }
        }
    }

    private func flushUntilEmpty() async {
        while true {
            let batch = queue.withLock { state -> [Pending] in
                guard !state.pending.isEmpty else {
                    state.flushing = false
                    return []
                }
                let count = min(state.pending.count, Self.changesPerBatchMax)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if batch.isEmpty { return }
            await flush(batch)
        }
    }

    /// The batch failed before COMMIT: rolled back, nothing of it stored.
    private struct BatchNotApplied: Error {
        let underlying: any Error
    }

    private func flush(_ batch: [Pending]) async {
        do {
            let outcomes = try await usage.track {
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    let outcomes: [Result<[AuditReceipt], any Error>]
                    do {
                        outcomes = try await apply(batch.map(\.change), on: connection)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw BatchNotApplied(underlying: error)
                    }
                    try await connection.query("COMMIT", logger: logger)
                    return outcomes
                }
            }
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
            let failure: any Error = (cause as? PSQLError).map { DatabaseFailure(operation: "group commit", $0) } ?? cause
            for pending in batch { pending.continuation.resume(throwing: failure) }
        }
    }

    /// The batch inside one transaction; returns each change's outcome in order.
    private func apply(_ changes: [AuditedChange], on connection: PostgresConnection) async throws -> [Result<[AuditReceipt], any Error>] {
        var outcomes = [Result<[AuditReceipt], any Error>?](repeating: nil, count: changes.count)
        var heads: [String: AuditLogHead] = [:]
        var scopes: [String: AuditScope] = [:]
        for event in changes.flatMap(\.events) { scopes[origins.origin(of: event.scope)] = event.scope }
        for origin in scopes.keys.sorted() {
            heads[origin] = try await AuditHeads.lock(origin: origin, scope: scopes[origin]!, on: connection, logger: logger)
        }
        // Business rows: the first change with a given id may insert it; a taken id fails its change.
        var firstByID: [TransactionID: Int] = [:]
        var rows: [Transaction] = []
        for (offset, change) in changes.enumerated() {
            guard case .insertTransaction(let transaction)? = change.writes.first else { continue }
            if firstByID[transaction.id] != nil {
                outcomes[offset] = .failure(TransactionError.duplicateID(transaction.id))
            } else {
                firstByID[transaction.id] = offset
                rows.append(transaction)
            }
        }
        let inserted = try await insertTransactions(rows, on: connection)
        for transaction in rows where !inserted.contains(transaction.id) {
            outcomes[firstByID[transaction.id]!] = .failure(TransactionError.duplicateID(transaction.id))
        }
        // Entries for every change still standing, in queue order.
        let nowMs = clock.now().unixMillisecondsClamped
        var leaves: [AuditLeaf] = []
        for (offset, change) in changes.enumerated() where outcomes[offset] == nil {
            var receipts: [AuditReceipt] = []
            for event in change.events {
                let origin = origins.origin(of: event.scope)
                var head = heads[origin]!
                let leaf = try head.append(eventType: event.eventType, actor: event.actor, payload: event.payload, nowMs: nowMs)
                heads[origin] = head
                leaves.append(leaf)
                receipts.append(AuditReceipt(origin: origin, index: leaf.index))
            }
            outcomes[offset] = .success(receipts)
        }
        try await insertEntries(leaves, on: connection)
        for head in heads.values { try await AuditHeads.store(head, on: connection, logger: logger) }
        return outcomes.map { $0! }
    }

    /// One multi-row insert; returns the ids actually inserted (a taken id is skipped, not an error).
    private func insertTransactions(_ rows: [Transaction], on connection: PostgresConnection) async throws -> Set<TransactionID> {
        guard !rows.isEmpty else { return [] }
        let query = PostgresTransactionRepository.insertQuery(rows, suffix: " ON CONFLICT (id) DO NOTHING RETURNING id")
        let result = try await connection.query(query, logger: logger)
        var inserted: Set<TransactionID> = []
        for try await id in result.decode(UUID.self) { inserted.insert(TransactionID(id)) }
        return inserted
    }

    private func insertEntries(_ leaves: [AuditLeaf], on connection: PostgresConnection) async throws {
        guard !leaves.isEmpty else { return }
        var binds = PostgresBindings(capacity: leaves.count * 4)
        var tuples: [String] = []
        for (offset, leaf) in leaves.enumerated() {
            let base = offset * 4
            tuples.append("($\(base + 1),$\(base + 2),$\(base + 3),$\(base + 4))")
            binds.append(leaf.origin)
            binds.append(Int64(leaf.index))
            try binds.append(Data(leaf.encoded))
            try binds.append(Data(leaf.leafHash))
        }
        let sql = "INSERT INTO audit_entries (origin, idx, leaf, leaf_hash) VALUES \(tuples.joined(separator: ","))"
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }
}
