import Domain
import Logging
import PostgresNIO

/// Whose rows a database transaction may see and write, as row-level security enforces it on
/// every tenant table (migrations/0016): one tenant's, or (for the record keepers, the signer
/// and operators' commands, which work across tenants) every tenant's. The scope is set with
/// `set_config(…, true)`, PostgreSQL's `SET LOCAL`: it ends with the transaction, so a pooled
/// connection never carries it to the next user. A transaction that sets no scope sees no row
/// of a tenant table at all.
///
/// Every query also names its tenant in code; this is the second, independent check.
public enum RowScope: Sendable, Equatable {
    case tenant(TenantID)
    case system

    /// The scope of an audit log's rows: its tenant's for a tenant log (origin `<prefix>/<tenant id>`,
    /// `AuditOrigins`), the system scope for the system log and any other.
    public init(origin: String) {
        if let slash = origin.lastIndex(of: "/"), let tenant = TenantID(string: String(origin[origin.index(after: slash)...])) {
            self = .tenant(tenant)
        } else {
            self = .system
        }
    }

    static let tenantSetting = "custos.tenant_id"
    static let systemSetting = "custos.system"
    /// The tables the policies of migrations/0016 guard.
    public static let tenantTables = [
        "transactions", "transaction_reviews", "idempotency_keys", "data_keys", "key_encryption_keys", "tenants", "api_clients",
    ]
    /// The audit tables, guarded by their log's tenant (`audit_logs.tenant_id`).
    public static let auditTables = ["audit_logs", "audit_entries", "audit_checkpoints", "audit_tree_nodes", "audit_key_rotations"]
    /// Every table under row-level security.
    public static var guardedTables: [String] { tenantTables + auditTables }
}

extension PostgresConnection {
    /// Sets the scope of the transaction in progress.
    public func setRowScope(_ scope: RowScope, logger: Logger) async throws {
        let (tenant, system): (String, String) = switch scope {
        case .tenant(let id): (id.description, "off")
        case .system: ("", "on")
        }
        try await query(
            "SELECT set_config(\(RowScope.tenantSetting), \(tenant), true), set_config(\(RowScope.systemSetting), \(system), true)",
            logger: logger
        )
    }

    /// `body` in a transaction of its own, in `scope`.
    func inTransaction<Result>(_ scope: RowScope, logger: Logger, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await inTransaction(logger: logger) { connection in
            try await connection.setRowScope(scope, logger: logger)
            return try await body(connection)
        }
    }
}

extension PostgresClient {
    /// `body` on a pooled connection, in a transaction in `scope`. Rows must be read inside `body`.
    func scoped<Result: Sendable>(
        _ scope: RowScope, logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try await connection.inTransaction(scope, logger: logger, body)
        }
    }
}
