import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `AccessDirectory` on PostgreSQL (tables `tenants` and `api_clients`, migrations/0013). Writes
/// are applied inside a record keeper's transaction (`apply`), with their audit entry.
public struct PostgresAccessDirectory: AccessDirectory {
    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    /// Read in the tenant's own scope (migrations/0016).
    public func tenant(_ id: TenantID) async throws -> Tenant? {
        try await readTenants("SELECT id, name, created_at FROM tenants WHERE id = \(id.rawValue)", scope: .tenant(id)).first
    }

    /// Every tenant: the system scope (operators' `custos tenants list`).
    public func tenants(limit: Int) async throws -> [Tenant] {
        try await readTenants("SELECT id, name, created_at FROM tenants ORDER BY created_at, id LIMIT \(Int64(max(0, limit)))", scope: .system)
    }

    private func readTenants(_ query: PostgresQuery, scope: RowScope) async throws -> [Tenant] {
        try await DatabaseFailure.wrapping("read tenants") {
            try await usage.track {
                try await client.scoped(scope, logger: logger) { connection in
                    var tenants: [Tenant] = []
                    for try await (id, name, createdAt) in try await connection.query(query, logger: logger).decode((UUID, String, UTCTimestamp).self) {
                        guard let valid = try? TenantName(name) else { throw CorruptRow(table: "tenants", key: id.uuidString.lowercased()) }
                        tenants.append(Tenant(id: TenantID(id), name: valid, createdAt: createdAt))
                    }
                    return tenants
                }
            }
        }
    }

    /// A client of any tenant: the system scope (the token endpoint, which learns the tenant from
    /// the client, and operators' commands).
    public func client(_ id: ClientID) async throws -> APIClient? {
        try await readClient(id, scope: .system)
    }

    /// A client of `tenant`, in that tenant's scope: what every API request checks.
    public func client(_ id: ClientID, of tenant: TenantID) async throws -> APIClient? {
        try await readClient(id, scope: .tenant(tenant))
    }

    private func readClient(_ id: ClientID, scope: RowScope) async throws -> APIClient? {
        try await DatabaseFailure.wrapping("read API client") {
            try await usage.track {
                try await client.scoped(scope, logger: logger) { connection in
                    let rows = try await connection.query(
                        "SELECT id, tenant_id, scopes, roles, secret_hash, created_at, revoked_at FROM api_clients WHERE id = \(id.rawValue)",
                        logger: logger
                    )
                    var found: APIClient?
                    for try await row in rows.decode((UUID, UUID, [String], [String], String, UTCTimestamp, UTCTimestamp?).self) {
                        found = try Self.client(row)
                    }
                    return found
                }
            }
        }
    }

    static func client(_ row: (UUID, UUID, [String], [String], String, UTCTimestamp, UTCTimestamp?)) throws -> APIClient {
        let (id, tenant, scopeNames, roleNames, hash, createdAt, revokedAt) = row
        let scopes = scopeNames.compactMap(Scope.init(rawValue:))
        let roles = roleNames.compactMap { try? ClientRole($0) }
        guard scopes.count == scopeNames.count, !scopes.isEmpty, roles.count == roleNames.count, roles.count <= APIClient.rolesMax,
              !hash.isEmpty, hash.utf8.count <= APIClient.secretHashBytesMax
        else { throw CorruptRow(table: "api_clients", key: id.uuidString.lowercased()) }
        return APIClient(
            id: ClientID(id), tenant: TenantID(tenant), scopes: scopes, roles: roles, secretHash: hash, createdAt: createdAt,
            revokedAt: revokedAt
        )
    }

    /// Applies one of the access writes on the keeper's connection, inside its transaction.
    static func apply(_ write: BusinessWrite, on connection: PostgresConnection, logger: Logger) async throws {
        switch write {
        case .createTenant(let tenant):
            let rows = try await connection.query(
                """
                INSERT INTO tenants (id, name, created_at) VALUES (\(tenant.id.rawValue), \(tenant.name.value), \(tenant.createdAt))
                ON CONFLICT (name) DO NOTHING
                RETURNING id
                """,
                logger: logger
            )
            var inserted = false
            for try await _ in rows { inserted = true }
            if !inserted { throw AccessError.tenantNameTaken }
        case .registerClient(let apiClient):
            // The tenant's row is locked against nothing (tenants are never deleted); its
            // existence is what the foreign key checks too.
            let rows = try await connection.query(
                """
                INSERT INTO api_clients (id, tenant_id, scopes, roles, secret_hash, created_at)
                SELECT \(apiClient.id.rawValue), id, \(apiClient.scopes.map(\.rawValue)), \(apiClient.roles.map(\.value)),
                       \(apiClient.secretHash), \(apiClient.createdAt)
                FROM tenants WHERE id = \(apiClient.tenant.rawValue)
                RETURNING id
                """,
                logger: logger
            )
            var inserted = false
            for try await _ in rows { inserted = true }
            if !inserted { throw AccessError.unknownTenant(apiClient.tenant) }
        case .revokeClient(let id, let at):
            let rows = try await connection.query(
                "UPDATE api_clients SET revoked_at = \(at) WHERE id = \(id.rawValue) AND revoked_at IS NULL RETURNING id",
                logger: logger
            )
            var revoked = false
            for try await _ in rows { revoked = true }
            guard !revoked else { return }
            let exists = try await connection.query("SELECT 1 FROM api_clients WHERE id = \(id.rawValue)", logger: logger)
            var found = false
            for try await _ in exists { found = true }
            throw found ? AccessError.alreadyRevoked(id) : AccessError.unknownClient(id)
        case .insertTransaction, .addDataKey, .activatePolicyBundle, .rememberOutcome, .decideReview:
            preconditionFailure("not an access write")
        }
    }
}
