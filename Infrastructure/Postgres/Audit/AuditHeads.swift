import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// How appends to audit logs are sequenced without updating any row (migrations/0004):
///
/// - **Lock.** Appending to a log takes a transaction-scoped advisory lock, whose key is derived
///   from the origin by `custos_audit_lock_key` (the first 8 bytes of SHA-256("custos audit append
///   lock v1\n" ‖ origin), big-endian, signed). It is held until COMMIT or ROLLBACK, across every
///   process on the database. `custos_audit_lock_logs` takes a transaction's locks in ascending key
///   order, so two transactions never deadlock on them. Two origins with the same key only
///   serialise each other's appends.
/// - **Head.** Once the locks are held, a log's head is its newest entry (`ORDER BY idx DESC LIMIT
///   1` on the primary key): size idx + 1, the entry's stored leaf hash, and the time inside its
///   bytes, which are decoded and checked against their row. No head is stored anywhere.
/// - **Registry.** `audit_logs` only names logs: the first append of a log inserts its row (`ON
///   CONFLICT DO NOTHING`, which needs INSERT only).
///
/// A batch's business rows, its locks and its heads come back from one statement
/// (`InsertRowsAndLockLogs`), its entries go in with a second (`InsertEntries`): with BEGIN and
/// COMMIT, four round trips per batch, whatever its size. A writer that knows the logs' tails
/// sends the whole batch as one statement instead (`AppendOnTail`). Every statement needs only INSERT and
/// SELECT on the audit tables, and the database refuses a gap, a fork or a broken link even from a
/// writer that skipped the lock (the trigger of 0004).
enum AuditHeads {
    /// Inside a transaction: inserts `rows` (skipping taken ids), then locks the logs of `logs`
    /// (origin to scope), registers the ones not registered yet, and reads their heads.
    static func insertAndLock(
        _ rows: [StoredTransaction], logs: [String: AuditScope], on connection: PostgresConnection, logger: Logger
    ) async throws -> (inserted: Set<TransactionID>, heads: [String: AuditLogHead]) {
        precondition(!logs.isEmpty, "lock at least one log")
        var inserted: Set<TransactionID> = []
        var heads: [String: AuditLogHead] = [:]
        let statement = InsertRowsAndLockLogs(rows: rows, logs: logs.sorted { $0.key < $1.key })
        for try await row in try await connection.execute(statement, logger: logger) {
            switch row {
            case .inserted(let id):
                inserted.insert(TransactionID(id))
            case .log(let origin, let registered, let newest):
                guard registered, logs[origin] != nil else { throw CorruptRow(table: "audit_logs", key: origin) }
                heads[origin] = try head(origin: origin, newest: newest)
            }
        }
        guard heads.count == logs.count else { throw CorruptRow(table: "audit_logs", key: "heads of \(logs.count) logs") }
        return (inserted, heads)
    }

    /// A log's newest entry as read from `audit_entries`: index, leaf hash, entry bytes.
    typealias NewestEntry = (index: Int64, leafHash: ByteBuffer, leaf: ByteBuffer)

    /// The newest entry from nullable (idx, leaf_hash, leaf) columns, all NULL for an empty log.
    static func newest(_ index: Int64?, _ leafHash: ByteBuffer?, _ leaf: ByteBuffer?) -> NewestEntry? {
        guard let index, let leafHash, let leaf else { return nil }
        return (index, leafHash, leaf)
    }

    /// The head after `newest` (the empty head when the log has no entry): the next entry links to
    /// the stored `leaf_hash`, as it linked to the head row's copy before 0004, and must not be older
    /// than the time in the entry's bytes. Bytes that do not decode, or name another origin or index
    /// than their row, are a `CorruptRow`. Whether the bytes still hash to `leaf_hash` is the
    /// signer's check (it re-reads every entry before signing), not the writer's: a writer that
    /// refused to append after a tampered entry would stop the tenant's requests, not the tampering.
    static func head(origin: String, newest: NewestEntry?) throws -> AuditLogHead {
        guard let newest else { return AuditLogHead(origin: origin) }
        guard newest.index >= 0, let leaf = try? AuditLeaf(decoding: Array(buffer: newest.leaf)),
              leaf.origin == origin, leaf.index == UInt64(newest.index),
              let head = AuditLogHead.restored(
                  origin: origin, size: leaf.index + 1, lastLeafHash: Array(buffer: newest.leafHash), lastTimestampMs: leaf.timestampMs
              )
        else { throw CorruptRow(table: "audit_entries", key: "\(origin) #\(newest.index)") }
        return head
    }
}

/// Business rows first, then the logs' locks and heads, in one statement: `UNION ALL` runs its
/// branches in order, so the rows are in before the statement waits for a lock, and the time spent
/// inserting them is not spent holding one. (Were the order ever reversed, the rows would be
/// inserted under the locks: slower, never wrong.) `custos_audit_lock_logs` reads the heads in
/// statements of its own, after the locks are granted.
struct InsertRowsAndLockLogs: PostgresPreparedStatement {
    static let sql = """
        WITH inserted AS (\(PostgresTransactionRepository.insertRowsSQL))
        SELECT id, NULL::text, NULL::boolean, NULL::bigint, NULL::bytea, NULL::bytea FROM inserted
        UNION ALL
        SELECT NULL::uuid, origin, registered, idx, leaf_hash, leaf FROM custos_audit_lock_logs($20::text[], $21::uuid[])
        """

    enum Row {
        case inserted(UUID)
        case log(origin: String, registered: Bool, newest: AuditHeads.NewestEntry?)
    }

    let rows: [StoredTransaction]
    let logs: [(key: String, value: AuditScope)]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: PostgresTransactionRepository.rowArrayCount + 2)
        PostgresTransactionRepository.appendRowArrays(rows, to: &bindings)
        var origins = PostgresArrayBind.texts(capacity: logs.count)
        var tenants = PostgresArrayBind.uuids(capacity: logs.count)
        for (origin, scope) in logs {
            origins.append(origin)
            let tenant: UUID? = if case .tenant(let id) = scope { id.rawValue } else { nil }
            tenants.append(tenant)
        }
        bindings.append(origins)
        bindings.append(tenants)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (id, origin, registered, index, hash, leaf) = try row.decode(
            (UUID?, String?, Bool?, Int64?, ByteBuffer?, ByteBuffer?).self
        )
        if let id { return .inserted(id) }
        guard let origin, let registered else { throw CorruptRow(table: "audit_logs", key: "lock result") }
        return .log(origin: origin, registered: registered, newest: AuditHeads.newest(index, hash, leaf))
    }
}

/// Inserts a batch's entries, one array per column; the trigger of 0004 checks the whole run.
struct InsertEntries: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[])
        """
    typealias Row = ()
    let leaves: [AuditLeaf]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        Self.appendArrays(leaves, to: &bindings)
        return bindings
    }

    /// Binds `leaves` as the four column arrays (origin, idx, leaf, leaf_hash).
    static func appendArrays(_ leaves: [AuditLeaf], to bindings: inout PostgresBindings) {
        var origins = PostgresArrayBind.texts(capacity: leaves.count)
        var indices = PostgresArrayBind.int8s(capacity: leaves.count)
        var encoded = PostgresArrayBind.byteas(capacity: leaves.count, bytesEach: leaves.first?.encoded.count ?? 0)
        var hashes = PostgresArrayBind.byteas(capacity: leaves.count, bytesEach: AuditLeaf.hashByteCount)
        for leaf in leaves {
            origins.append(leaf.origin)
            indices.append(Int64(leaf.index))
            encoded.append(bytes: leaf.encoded)
            hashes.append(bytes: leaf.leafHash)
        }
        bindings.append(origins)
        bindings.append(indices)
        bindings.append(encoded)
        bindings.append(hashes)
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}

    /// Runs the insert; nothing for an empty batch.
    static func run(_ leaves: [AuditLeaf], on connection: PostgresConnection, logger: Logger) async throws {
        guard !leaves.isEmpty else { return }
        // Drained, so that a refusal is always thrown here (an INSERT without RETURNING reports it
        // on completion anyway; draining keeps that true whatever the statement returns).
        for try await _ in try await connection.execute(InsertEntries(leaves: leaves), logger: logger) {}
    }
}

/// A whole batch in one autocommit statement (migrations/0009, columns of 0011, 0012 and 0015): the business rows, the tails the
/// entries were built on, and the entries. The function raises (and the statement rolls back) on
/// a taken id (`CU001`) or a tail that moved (`CU002`); the caller then takes the general path.
struct AppendOnTail: PostgresPreparedStatement {
    static let sql = """
        SELECT custos_audit_append_on_tail($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::bytea[], $6::int4[], $7::bytea[],
            $8::int4[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::text[], $15::timestamptz[],
            $16::text[], $17::uuid[], $18::bytea[], $19::uuid[],
            $20::text[], $21::uuid[], $22::bigint[], $23::bytea[], $24::text[], $25::bigint[], $26::bytea[], $27::bytea[])
        """
    typealias Row = ()

    let rows: [StoredTransaction]
    /// Each log's scope and the tail the entries were built on.
    let tails: [(origin: String, scope: AuditScope, tail: AuditLogHead)]
    let leaves: [AuditLeaf]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: PostgresTransactionRepository.rowArrayCount + 8)
        PostgresTransactionRepository.appendRowArrays(rows, to: &bindings)
        var origins = PostgresArrayBind.texts(capacity: tails.count)
        var tenants = PostgresArrayBind.uuids(capacity: tails.count)
        var next = PostgresArrayBind.int8s(capacity: tails.count)
        var hashes = PostgresArrayBind.byteas(capacity: tails.count, bytesEach: AuditLeaf.hashByteCount)
        for (origin, scope, tail) in tails {
            origins.append(origin)
            let tenant: UUID? = if case .tenant(let id) = scope { id.rawValue } else { nil }
            tenants.append(tenant)
            next.append(Int64(tail.size))
            hashes.append(bytes: tail.lastLeafHash)
        }
        bindings.append(origins)
        bindings.append(tenants)
        bindings.append(next)
        bindings.append(hashes)
        InsertEntries.appendArrays(leaves, to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
