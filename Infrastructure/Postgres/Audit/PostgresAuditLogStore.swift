import Domain
import Foundation
import Logging
import PostgresNIO

/// Audit logs in PostgreSQL, read back: heads, entries in index order, checkpoints; and the
/// one write of the checkpointer. Every read is bounded (`entriesPerReadMax` rows at a time),
/// and database errors come back as `DatabaseFailure`s that quote no stored data.
public struct PostgresAuditLogStore: AuditLogStore {
    public static var entriesPerReadMax: Int { entriesPerPageMax }

    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func head(origin: String) async throws -> AuditLogHead? {
        try await DatabaseFailure.wrapping("read audit log head") {
            let rows = try await client.query(
                "SELECT size, last_leaf_hash, last_timestamp_ms FROM audit_logs WHERE origin = \(origin)", logger: logger
            )
            return try await AuditHeads.decode(rows, origin: origin)
        }
    }

    public func entries(origin: String, from start: UInt64, count: Int) async throws -> [[UInt8]] {
        try await indexedEntries(origin: origin, from: start, count: count).map(\.leaf)
    }

    /// The stored entries with indices in `start ..< start + count`, in index order, as stored (unverified).
    public func indexedEntries(origin: String, from start: UInt64, count: Int) async throws -> [(index: UInt64, leaf: [UInt8])] {
        precondition((0...Self.entriesPerReadMax).contains(count), "read at most \(Self.entriesPerReadMax) entries at once")
        return try await DatabaseFailure.wrapping("read audit entries") {
            let rows = try await client.query(
                """
                SELECT idx, leaf FROM audit_entries
                WHERE origin = \(origin) AND idx >= \(Int64(start)) AND idx < \(Int64(start) + Int64(count))
                ORDER BY idx
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

    public func latestCheckpoint(origin: String) async throws -> String? {
        try await DatabaseFailure.wrapping("read checkpoint") {
            let rows = try await client.query(
                "SELECT note FROM audit_checkpoints WHERE origin = \(origin) ORDER BY size DESC LIMIT 1", logger: logger
            )
            for try await note in rows.decode(String.self) { return note }
            return nil
        }
    }

    public func saveCheckpoint(origin: String, size: UInt64, note: String) async throws {
        _ = try await DatabaseFailure.wrapping("save checkpoint") {
            try await client.query(
                """
                INSERT INTO audit_checkpoints (origin, size, note) VALUES (\(origin), \(Int64(size)), \(note))
                ON CONFLICT (origin, size) DO NOTHING
                """,
                logger: logger
            )
        }
    }

    public func originsAwaitingCheckpoint(limit: Int) async throws -> [String] {
        try await DatabaseFailure.wrapping("list logs awaiting a checkpoint") {
            let rows = try await client.query(
                """
                SELECT l.origin FROM audit_logs l
                WHERE l.size > COALESCE((SELECT max(c.size) FROM audit_checkpoints c WHERE c.origin = l.origin), -1)
                ORDER BY l.origin LIMIT \(limit)
                """,
                logger: logger
            )
            var origins: [String] = []
            for try await origin in rows.decode(String.self) { origins.append(origin) }
            return origins
        }
    }
}
