import Logging
import PostgresNIO
import PostgresAdapters

/// The role `custos serve` connects as may only read and insert audit rows (docs/audit-log.md
/// §9, docs/operations.md): no UPDATE (on any column), DELETE or TRUNCATE on any audit table,
/// no superuser, and no membership in a table owner's role (a member that does not inherit can
/// still `SET ROLE` to the owner). In production a role that may do more stops the server
/// before it listens; in development it is a warning, since tests and quick starts connect as
/// the owner.
enum ApplicationRoleCheck {

    struct TooPowerful: Error, CustomStringConvertible {
        let tables: [String]
        var description: String {
            "DATABASE_URL connects as a role that may update, delete or truncate audit tables, become their owner, or bypass row-level security (\(tables.joined(separator: ", "))); "
                + "connect as the application role custos_app and run migrations with CUSTOS_MIGRATION_DATABASE_URL"
        }
    }

    static func run(client: PostgresClient, environment: Configuration.Environment, logger: Logger) async throws {
        let rows = try await client.query(
            """
            SELECT t FROM unnest(\(RowScope.auditTables)) AS t
            JOIN pg_class c ON c.oid = to_regclass(t)
            WHERE has_any_column_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')
               OR has_table_privilege(c.oid, 'TRUNCATE') OR pg_has_role(c.relowner, 'MEMBER')
               OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            ORDER BY t
            """,
            logger: logger
        )
        var tables: [String] = []
        for try await table in rows.decode(String.self) { tables.append(table) }
        // Row-level security (migrations/0016) binds only a role that owns no tenant table and
        // may not bypass it, and only on tables where it is enabled.
        let unguarded = try await client.query(
            """
            SELECT t FROM unnest(\(RowScope.guardedTables)) AS t
            JOIN pg_class c ON c.oid = to_regclass(t)
            WHERE NOT c.relrowsecurity OR pg_has_role(c.relowner, 'MEMBER')
               OR (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user)
            ORDER BY t
            """,
            logger: logger
        )
        for try await table in unguarded.decode(String.self) { tables.append(table) }
        guard !tables.isEmpty else { return }
        let problem = TooPowerful(tables: tables)
        if environment == .production { throw problem }
        logger.warning("database role is more powerful than the application needs", metadata: ["problem": .string(problem.description)])
    }
}
