import Domain
import Foundation
import Logging
import PostgresNIO

/// The head rows of audit logs (table `audit_logs`): the per-log lock that sequences appends.
enum AuditHeads {
    /// Creates the log's head row on first use, then locks it until the transaction ends.
    /// `ON CONFLICT DO NOTHING` has no target on purpose: racing first appends can collide on
    /// the origin or on the tenant's unique index, and either way the row now exists.
    static func lock(origin: String, scope: AuditScope, on connection: PostgresConnection, logger: Logger) async throws -> AuditLogHead {
        let tenant: UUID? = if case .tenant(let id) = scope { id.rawValue } else { nil }
        try await connection.query(
            "INSERT INTO audit_logs (origin, tenant_id) VALUES (\(origin), \(tenant)) ON CONFLICT DO NOTHING",
            logger: logger
        )
        let rows = try await connection.query(
            "SELECT size, last_leaf_hash, last_timestamp_ms FROM audit_logs WHERE origin = \(origin) FOR UPDATE",
            logger: logger
        )
        guard let head = try await decode(rows, origin: origin) else { throw CorruptRow(table: "audit_logs", key: origin) }
        return head
    }

    /// The head in `rows` (size, last_leaf_hash, last_timestamp_ms), nil when there is no row;
    /// a row that cannot be a head is a `CorruptRow`, never a trap.
    static func decode(_ rows: PostgresRowSequence, origin: String) async throws -> AuditLogHead? {
        for try await (size, hash, timestamp) in rows.decode((Int64, Data, Int64).self) {
            guard size >= 0, timestamp >= 0,
                  let head = AuditLogHead.restored(
                      origin: origin, size: UInt64(size), lastLeafHash: Array(hash), lastTimestampMs: UInt64(timestamp)
                  )
            else { throw CorruptRow(table: "audit_logs", key: origin) }
            return head
        }
        return nil
    }

    /// Moves the log's head to `head` (the trigger checks it only moves forward over stored entries).
    static func store(_ head: AuditLogHead, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE audit_logs SET size = \(Int64(head.size)), last_leaf_hash = \(Data(head.lastLeafHash)),
                last_timestamp_ms = \(Int64(head.lastTimestampMs))
            WHERE origin = \(head.origin)
            """,
            logger: logger
        )
    }
}
