import Domain
import Foundation
import Logging
import PostgresNIO

/// Reads audit logs back from PostgreSQL: heads, entries in index order, checkpoints.
/// Every read is bounded (`entriesPerReadMax` rows at a time).
public struct PostgresAuditLogReader: Sendable {
    public static let entriesPerReadMax = 4_096

    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The log's head, or nil when nothing was ever appended to it.
    public func head(origin: String) async throws -> AuditLogHead? {
        let rows = try await client.query(
            "SELECT size, last_leaf_hash, last_timestamp_ms FROM audit_logs WHERE origin = \(origin)", logger: logger
        )
        for try await (size, hash, timestamp) in rows.decode((Int64, Data, Int64).self) {
            guard size >= 0, timestamp >= 0, hash.count == AuditLeaf.hashByteCount else {
                throw CorruptRow(table: "audit_logs", key: origin)
            }
            return AuditLogHead(origin: origin, size: UInt64(size), lastLeafHash: Array(hash), lastTimestampMs: UInt64(timestamp))
        }
        return nil
    }

    /// Up to `count` stored entries from index `start` on, in index order, as stored (unverified).
    public func entries(origin: String, from start: UInt64, count: Int) async throws -> [(index: UInt64, leaf: [UInt8])] {
        precondition((0...Self.entriesPerReadMax).contains(count), "read at most \(Self.entriesPerReadMax) entries at once")
        let rows = try await client.query(
            """
            SELECT idx, leaf FROM audit_entries WHERE origin = \(origin) AND idx >= \(Int64(start))
            ORDER BY idx LIMIT \(count)
            """,
            logger: logger
        )
        var result: [(UInt64, [UInt8])] = []
        for try await (index, leaf) in rows.decode((Int64, Data).self) {
            result.append((UInt64(max(0, index)), Array(leaf)))
        }
        return result
    }
}
