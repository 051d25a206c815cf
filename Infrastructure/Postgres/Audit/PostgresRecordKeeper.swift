import Domain
import Foundation
import Logging
import PostgresNIO

/// `RecordKeeper` on PostgreSQL: one database transaction applies the business writes and
/// appends the audit entries. The business rows go in first; then each log's append lock is
/// taken (`AuditHeads`: advisory locks in key order, held until the transaction ends) and its head
/// is read from its newest entry, so appends to one log are sequenced across connections and
/// processes: gap-free, fork-free. A rolled-back transaction leaves no entry; a committed one
/// always has its entries. Nothing is updated.
public struct PostgresRecordKeeper: RecordKeeper {
    private let client: PostgresClient
    private let origins: AuditOrigins
    private let clock: any Clock
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, origins: AuditOrigins, clock: any Clock, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.origins = origins
        self.clock = clock
        self.usage = usage
        self.logger = logger
    }

    public func commit(_ change: AuditedChange) async throws -> [AuditReceipt] {
        try await usage.track {
            try await DatabaseFailure.wrapping("commit audited change") {
                try await client.withConnection { connection in
                    try await connection.inTransaction(.system, logger: logger) { connection in
                        try await apply(change, on: connection)
                    }
                }
            }
        }
    }

    /// Runs `work`, then appends the audit change made from its result (none when `record` returns
    /// nil), in one database transaction: what key operations use, so that each is in the log
    /// exactly when it is in the tables.
    func commit<Result: Sendable>(
        operation: String,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> Result,
        record: @escaping @Sendable (Result) -> AuditedChange?
    ) async throws -> Result {
        try await usage.track {
            try await DatabaseFailure.wrapping(operation) {
                try await client.withConnection { connection in
                    try await connection.inTransaction(.system, logger: logger) { connection in
                        let result = try await work(connection)
                        if let change = record(result) { _ = try await apply(change, on: connection) }
                        return result
                    }
                }
            }
        }
    }

    private func apply(_ change: AuditedChange, on connection: PostgresConnection) async throws -> [AuditReceipt] {
        var rows: [StoredTransaction] = []
        for write in change.writes {
            switch write {
            case .insertTransaction(let transaction):
                rows.append(transaction)
            case .addDataKey(let record):
                try await PostgresDataKeyStore.insert(record, on: connection, logger: logger)
            case .activatePolicyBundle(let stored, let activation):
                try await PostgresPolicyBundleStore.insert(stored, activation, on: connection, logger: logger)
            case .createTenant, .registerClient, .revokeClient:
                try await PostgresAccessDirectory.apply(write, on: connection, logger: logger)
            case .rememberOutcome(let outcome):
                try await PostgresIdempotencyStore.insert(outcome, on: connection, logger: logger)
            case .decideReview(let review):
                try await PostgresTransactionRepository.insert(review, on: connection, logger: logger)
            }
        }
        let scopes = Dictionary(change.events.map { (origins.origin(of: $0.scope), $0.scope) }, uniquingKeysWith: { a, _ in a })
        let (inserted, lockedHeads) = try await AuditHeads.insertAndLock(rows, logs: scopes, on: connection, logger: logger)
        var heads = lockedHeads
        for row in rows where !inserted.contains(row.id) { throw TransactionError.duplicateID(row.id) }
        let nowMs = clock.now().unixMillisecondsClamped
        let leaves = try origins.append(change.events, to: &heads, nowMs: nowMs)
        try await InsertEntries.run(leaves, on: connection, logger: logger)
        return leaves.map(AuditReceipt.init)
    }
}
