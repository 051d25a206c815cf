import Logging
import PostgresNIO

/// Applies `MigrationSet`s to a database and reports their state.
///
/// Each file runs in its own transaction together with its `schema_migrations` row, so a failed
/// file leaves nothing behind. A session advisory lock serialises concurrent migrators (two
/// `custos serve` processes starting at once); files applied meanwhile by the other are skipped.
public struct PostgresMigrator: Sendable {
    /// Arbitrary but fixed: the advisory-lock key that every Custos migrator takes.
    static let advisoryLockKey: Int64 = 0x6375_7374_6f73_6d67  // "custosmg"

    private let client: PostgresClient
    private let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func status(of files: MigrationSet) async throws -> MigrationStatus {
        try await client.withConnection { connection in
            MigrationStatus(files: files, applied: try await applied(on: connection))
        }
    }

    /// True when the database has no tables of its own yet (a fresh database).
    public func databaseIsEmpty() async throws -> Bool {
        let rows = try await client.query(
            "SELECT count(*)::bigint FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
            logger: logger
        )
        for try await count in rows.decode(Int64.self) { return count == 0 }
        return true
    }

    /// Applies every pending file in order. Refuses, before touching anything, when an applied
    /// file changed or an applied migration's file is gone. Returns the names applied.
    @discardableResult
    public func migrate(_ files: MigrationSet) async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let names = try await migrateLocked(files, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return names
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func migrateLocked(_ files: MigrationSet, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY CHECK (version >= 0),
                name text NOT NULL,
                checksum_sha256 text NOT NULL CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        let recorded = try await applied(on: connection)
        let status = MigrationStatus(files: files, applied: recorded)
        try Self.refuseDrift(status, files: files, applied: recorded)
        var names: [String] = []
        for entry in status.pending {
            guard let migration = files.migrations.first(where: { $0.version == entry.version }) else { continue }
            try await apply(migration, on: connection)
            names.append(migration.fileName)
        }
        return names
    }

    static func refuseDrift(_ status: MigrationStatus, files: MigrationSet, applied: [AppliedMigration]) throws {
        for entry in status.entries {
            switch entry.state {
            case .changed:
                let recorded = applied.first { $0.version == entry.version }?.checksum ?? "?"
                let actual = files.migrations.first { $0.version == entry.version }?.checksum ?? "?"
                throw MigrationError.changedSinceApplied(file: entry.name, recorded: recorded, actual: actual)
            case .missing:
                throw MigrationError.appliedButMissing(version: entry.version, name: entry.name)
            case .applied, .pending:
                continue
            }
        }
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        let statements: [SQLScript.Statement]
        do {
            statements = try SQLScript.statements(in: migration.sql)
        } catch .unterminated(let what, let line) {
            throw MigrationError.unterminated(file: migration.fileName, line: line, what: what)
        }
        try await connection.inTransaction(logger: logger) { connection in
            for statement in statements {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: statement.sql), logger: logger)
                } catch let error as PSQLError {
                    throw MigrationError.statementFailed(
                        file: migration.fileName, line: statement.line,
                        message: error.serverInfo?[.message] ?? "\(error.code)"
                    )
                }
            }
            try await connection.query(
                """
                INSERT INTO schema_migrations (version, name, checksum_sha256)
                VALUES (\(migration.version), \(migration.fileName), \(migration.checksum))
                """,
                logger: logger
            )
        }
        logger.info("migration applied", metadata: ["migration": "\(migration.fileName)"])
    }

    private func applied(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        let exists = try await connection.query(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
        )
        var tableExists = false
        for try await value in exists.decode(Bool.self) { tableExists = value }
        guard tableExists else { return [] }
        let rows = try await connection.query(
            "SELECT version, name, checksum_sha256 FROM schema_migrations ORDER BY version", logger: logger
        )
        var result: [AppliedMigration] = []
        for try await (version, name, checksum) in rows.decode((Int32, String, String).self) {
            result.append(AppliedMigration(version: Int(version), name: name, checksum: checksum))
        }
        return result
    }
}
