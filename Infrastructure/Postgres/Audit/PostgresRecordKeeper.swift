import Domain
import Foundation
import Logging
import PostgresNIO

/// `RecordKeeper` on PostgreSQL: one database transaction applies the business writes and
/// appends the audit entries. Each log's head row is locked (`SELECT … FOR UPDATE`, in origin
/// order to avoid deadlocks) for the whole transaction, so appends to one log are sequenced
/// across connections and processes: gap-free, fork-free. A rolled-back transaction leaves no
/// entry; a committed one always has its entries.
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
                    try await connection.inTransaction(logger: logger) { connection in
                        try await apply(change, on: connection)
                    }
                }
            }
        }
    }

    private func apply(_ change: AuditedChange, on connection: PostgresConnection) async throws -> [AuditReceipt] {
        var heads: [String: AuditLogHead] = [:]
        let scopes = Dictionary(change.events.map { (origins.origin(of: $0.scope), $0.scope) }, uniquingKeysWith: { a, _ in a })
        for origin in scopes.keys.sorted() {
            heads[origin] = try await lockHead(origin: origin, scope: scopes[origin]!, on: connection)
        }
        for write in change.writes {
            switch write {
            case .insertTransaction(let transaction):
                try await PostgresTransactionRepository.insert(transaction, on: connection, logger: logger)
            }
        }
        let nowMs = UInt64(max(0, clock.now().microsecondsSinceEpoch / 1_000))
        var receipts: [AuditReceipt] = []
        for event in change.events {
            let origin = origins.origin(of: event.scope)
            guard var head = heads[origin] else { preconditionFailure("head not locked for \(origin)") }
            let leaf = try head.append(eventType: event.eventType, actor: event.actor, payload: event.payload, nowMs: nowMs)
            heads[origin] = head
            try await connection.query(
                """
                INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
                VALUES (\(origin), \(Int64(leaf.index)), \(Data(leaf.encoded)), \(Data(leaf.leafHash)))
                """,
                logger: logger
            )
            receipts.append(AuditReceipt(origin: origin, index: leaf.index))
        }
        for (origin, head) in heads {
            try await connection.query(
                """
                UPDATE audit_logs SET size = \(Int64(head.size)), last_leaf_hash = \(Data(head.lastLeafHash)),
                    last_timestamp_ms = \(Int64(head.lastTimestampMs))
                WHERE origin = \(origin)
                """,
                logger: logger
            )
        }
        return receipts
    }

    /// Creates the log's head row on first use, then locks it until the transaction ends.
    /// `ON CONFLICT DO NOTHING` has no target on purpose: racing first appends can collide on
    /// the origin or on the tenant's unique index, and either way the row now exists.
    private func lockHead(origin: String, scope: AuditScope, on connection: PostgresConnection) async throws -> AuditLogHead {
        let tenant: UUID? = if case .tenant(let id) = scope { id.rawValue } else { nil }
        try await connection.query(
            "INSERT INTO audit_logs (origin, tenant_id) VALUES (\(origin), \(tenant)) ON CONFLICT DO NOTHING",
            logger: logger
        )
        let rows = try await connection.query(
            "SELECT size, last_leaf_hash, last_timestamp_ms FROM audit_logs WHERE origin = \(origin) FOR UPDATE",
            logger: logger
        )
        for try await (size, hash, timestamp) in rows.decode((Int64, Data, Int64).self) {
            guard size >= 0, timestamp >= 0, hash.count == AuditLeaf.hashByteCount else {
                throw CorruptRow(table: "audit_logs", key: origin)
            }
            return AuditLogHead(origin: origin, size: UInt64(size), lastLeafHash: Array(hash), lastTimestampMs: UInt64(timestamp))
        }
        throw CorruptRow(table: "audit_logs", key: origin)
    }
}
