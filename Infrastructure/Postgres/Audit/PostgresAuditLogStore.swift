import Domain
import Foundation
import Logging
import NIOCore
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

    /// The head after the log's newest entry (`AuditHeads`); the empty head for a registered log
    /// without entries; nil for a log that was never registered.
    public func head(origin: String) async throws -> AuditLogHead? {
        try await DatabaseFailure.wrapping("read audit log head") {
            try await client.scoped(RowScope(origin: origin), logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT e.idx, e.leaf_hash, e.leaf FROM audit_logs l
                    LEFT JOIN LATERAL (
                        SELECT idx, leaf_hash, leaf FROM audit_entries q WHERE q.origin = l.origin ORDER BY idx DESC LIMIT 1
                    ) e ON true
                    WHERE l.origin = \(origin)
                    """,
                    logger: logger
                )
                for try await (index, hash, leaf) in rows.decode((Int64?, ByteBuffer?, ByteBuffer?).self) {
                    return try AuditHeads.head(origin: origin, newest: AuditHeads.newest(index, hash, leaf))
                }
                return nil
            }
        }
    }

    public func entries(origin: String, from start: UInt64, count: Int) async throws -> [[UInt8]] {
        try await indexedEntries(origin: origin, from: start, count: count).map(\.leaf)
    }

    /// The stored entries with indices in `start ..< start + count`, in index order, as stored (unverified).
    public func indexedEntries(origin: String, from start: UInt64, count: Int) async throws -> [(index: UInt64, leaf: [UInt8])] {
        precondition((0...Self.entriesPerReadMax).contains(count), "read at most \(Self.entriesPerReadMax) entries at once")
        return try await DatabaseFailure.wrapping("read audit entries") {
            try await client.scoped(RowScope(origin: origin), logger: logger) { connection in
                let rows = try await connection.query(
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
    }

    public func latestCheckpoint(origin: String) async throws -> String? {
        try await DatabaseFailure.wrapping("read checkpoint") {
            try await client.scoped(RowScope(origin: origin), logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT note FROM audit_checkpoints WHERE origin = \(origin) ORDER BY size DESC LIMIT 1", logger: logger
                )
                for try await note in rows.decode(String.self) { return note }
                return nil
            }
        }
    }

    public func treeNodes(origin: String, in ranges: [MerkleNodeRange]) async throws -> [MerkleNode] {
        precondition(ranges.reduce(0) { $0 + $1.count } <= Self.nodesPerReadMax, "read at most \(Self.nodesPerReadMax) nodes at once")
        let leaves = ranges.filter { $0.level == 0 }
        let interior = ranges.filter { $0.level > 0 }
        return try await DatabaseFailure.wrapping("read audit tree nodes") {
            try await client.scoped(RowScope(origin: origin), logger: logger) { connection in
                // One round trip: leaf hashes from the entries, higher levels from the node table. Each
                // range is a LATERAL index range scan whose LIMIT tells the planner how few rows it
                // reads: a plain join on the ranges lets it pick a sequential scan of a large log.
                let rows = try await connection.query(
                    """
                    SELECT 0::smallint, e.idx, e.leaf_hash
                    FROM unnest(\(leaves.map { Int64($0.start) }), \(leaves.map { Int64($0.end) })) AS r(first, stop)
                    CROSS JOIN LATERAL (
                        SELECT idx, leaf_hash FROM audit_entries
                        WHERE origin = \(origin) AND idx >= r.first AND idx < r.stop ORDER BY idx LIMIT r.stop - r.first
                    ) e
                    UNION ALL
                    SELECT r.level, n.idx, n.hash
                    FROM unnest(\(interior.map { Int16($0.level) }), \(interior.map { Int64($0.start) }), \(interior.map { Int64($0.end) }))
                        AS r(level, first, stop)
                    CROSS JOIN LATERAL (
                        SELECT idx, hash FROM audit_tree_nodes
                        WHERE origin = \(origin) AND level = r.level AND idx >= r.first AND idx < r.stop ORDER BY idx LIMIT r.stop - r.first
                    ) n
                    ORDER BY 1, 2
                    """,
                    logger: logger
                )
                var nodes: [MerkleNode] = []
                for try await (level, index, hash) in rows.decode((Int16, Int64, Data).self) {
                    guard MerkleNodeSet.isStoredLevel(Int(level)), index >= 0, hash.count == MerkleTree.hashByteCount else {
                        throw CorruptRow(table: level == 0 ? "audit_entries" : "audit_tree_nodes", key: "\(origin) level \(level) index \(index)")
                    }
                    nodes.append(MerkleNode(level: Int(level), index: UInt64(index), hash: Array(hash)))
                }
                return nodes
            }
        }
    }

    /// Nothing stored, for the reason given; raised inside the transaction to roll it back.
    private struct NotSaved: Error {
        let outcome: CheckpointSaveOutcome
    }

    public func saveCheckpoint(
        origin: String, size: UInt64, note: String, extending previousSize: UInt64, nodes: [MerkleNode],
        rotations: [LogKeySchedule.Rotation]
    ) async throws -> CheckpointSaveOutcome {
        do {
            return try await DatabaseFailure.wrapping("save checkpoint") {
                try await client.withConnection { connection in
                    try await connection.inTransaction(RowScope(origin: origin), logger: logger) { connection in
                        try await saveCheckpoint(
                            origin: origin, size: size, note: note, extending: previousSize, nodes: nodes, rotations: rotations,
                            on: connection
                        )
                    }
                }
            }
        } catch let notSaved as NotSaved {
            return notSaved.outcome
        }
    }

    private func saveCheckpoint(
        origin: String, size: UInt64, note: String, extending previousSize: UInt64, nodes: [MerkleNode],
        rotations: [LogKeySchedule.Rotation], on connection: PostgresConnection
    ) async throws -> CheckpointSaveOutcome {
        // Signers of one log (in this process or another) take turns; each checks it still
        // extends the latest checkpoint, so checkpoints and nodes are saved once, in order.
        try await connection.query(
            "SELECT pg_advisory_xact_lock(\(Self.checkpointLockClass), hashtext(\(origin)))", logger: logger
        )
        let latest = try await connection.query(
            "SELECT COALESCE(max(size), 0) FROM audit_checkpoints WHERE origin = \(origin)", logger: logger
        )
        for try await stored in latest.decode(Int64.self) where stored != Int64(previousSize) {
            throw NotSaved(outcome: .superseded)
        }
        if !nodes.isEmpty {
            let levels = nodes.map { Int16($0.level) }
            let indices = nodes.map { Int64($0.index) }
            let hashes = nodes.map { ByteBuffer(bytes: $0.hash) }
            try await connection.query(
                """
                INSERT INTO audit_tree_nodes (origin, level, idx, hash)
                SELECT \(origin), level, idx, hash FROM unnest(\(levels), \(indices), \(hashes)) AS n(level, idx, hash)
                ON CONFLICT (origin, level, idx) DO NOTHING
                """,
                logger: logger
            )
            // A node that was already there must be the same node.
            let conflicts = try await connection.query(
                """
                SELECT n.level, n.idx FROM unnest(\(levels), \(indices), \(hashes)) AS n(level, idx, hash)
                JOIN audit_tree_nodes t ON t.origin = \(origin) AND t.level = n.level AND t.idx = n.idx
                WHERE t.hash <> n.hash LIMIT 1
                """,
                logger: logger
            )
            for try await (level, index) in conflicts.decode((Int16, Int64).self) {
                throw NotSaved(outcome: .conflictingNode(level: Int(level), index: UInt64(max(0, index))))
            }
        }
        for rotation in rotations {
            try await connection.query(
                """
                INSERT INTO audit_key_rotations (origin, version, entry_idx, overlap_until_ms)
                VALUES (\(origin), \(Int32(rotation.version)), \(Int64(rotation.entryIndex)), \(Int64(clamping: rotation.overlapUntilMs)))
                """,
                logger: logger
            )
        }
        try await connection.query(
            "INSERT INTO audit_checkpoints (origin, size, note) VALUES (\(origin), \(Int64(size)), \(note))", logger: logger
        )
        return .saved
    }

    public func keyRotations(origin: String) async throws -> [LogKeySchedule.Rotation] {
        try await DatabaseFailure.wrapping("read key rotations") {
            try await client.scoped(RowScope(origin: origin), logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT version, entry_idx, overlap_until_ms FROM audit_key_rotations WHERE origin = \(origin) ORDER BY version",
                    logger: logger
                )
                var rotations: [LogKeySchedule.Rotation] = []
                for try await (version, index, overlapUntil) in rows.decode((Int32, Int64, Int64).self) {
                    guard version >= 2, index >= 0, overlapUntil >= 0 else {
                        throw CorruptRow(table: "audit_key_rotations", key: "\(origin) version \(version)")
                    }
                    rotations.append(.init(version: UInt32(version), entryIndex: UInt64(index), overlapUntilMs: UInt64(overlapUntil)))
                }
                return rotations
            }
        }
    }

    /// The first key of the advisory lock that checkpoint signers of one log share (the second
    /// is `hashtext(origin)`); "CKPT" in ASCII, so it cannot be mistaken for another lock.
    static let checkpointLockClass: Int32 = 0x434B_5054

    /// Logs whose newest entry lies past their latest checkpoint (or that have none), in origin
    /// order. Two primary-key probes per log (newest entry, largest checkpoint), no scan of entries.
    public func originsAwaitingCheckpoint(limit: Int) async throws -> [String] {
        try await DatabaseFailure.wrapping("list logs awaiting a checkpoint") {
            try await client.scoped(.system, logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT l.origin FROM audit_logs l
                    WHERE COALESCE((SELECT e.idx + 1 FROM audit_entries e WHERE e.origin = l.origin ORDER BY e.idx DESC LIMIT 1), 0)
                        <> COALESCE((SELECT c.size FROM audit_checkpoints c WHERE c.origin = l.origin ORDER BY c.size DESC LIMIT 1), -1)
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
}
