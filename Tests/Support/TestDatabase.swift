import Domain
import Foundation
import Logging
import PostgresAdapters
import NIOCore
import PostgresNIO

/// Real PostgreSQL for tests. The server is `DATABASE_URL` when set; otherwise a local cluster
/// under the package's `.custos/` is started (the same code as `custos db start`). A missing or
/// broken database makes a test fail, never skip.
///
/// Each `withDatabase` call gets a database of its own, created empty, migrated with the
/// repository's `migrations/`, and dropped afterwards, so suites run in parallel and leave nothing.
public enum TestDatabase {
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var migrationsDirectory: URL { packageRoot.appendingPathComponent("migrations") }

    static let logger = Logger(label: "custos.tests")

    public static func serverURL() throws -> PostgresURL {
        if let raw = ProcessInfo.processInfo.environment["DATABASE_URL"], !raw.isEmpty {
            return try PostgresURL(raw)
        }
        return try LocalPostgresCluster(stateDirectory: packageRoot.appendingPathComponent(".custos")).start()
    }

    /// Runs `body` with a client on a fresh database (migrated unless `migrated` is false). A
    /// migrated database holds the fixtures' data keys (`Sealing.key`) of tenants A and B unless
    /// `fixtureKeys` is false, stored directly (no audit entry), so that rows sealed by the
    /// fixtures go in: the database refuses rows under a key it does not hold as active.
    public static func withDatabase<Result: Sendable>(
        migrated: Bool = true,
        fixtureKeys: Bool = true,
        connectionsMax: Int = 8,
        _ body: (PostgresClient, PostgresURL) async throws -> Result
    ) async throws -> Result {
        let server = try serverURL()
        let name = "custos_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await admin(server, "CREATE DATABASE \(name)")
        let url = server.with(database: String(name))
        do {
            let result = try await withClient(url, connectionsMax: connectionsMax) { client in
                if migrated {
                    try await PostgresMigrator(client: client, logger: logger)
                        .migrate(try MigrationSet.load(directory: migrationsDirectory))
                    if fixtureKeys {
                        for tenant in [Fixtures.tenantA, Fixtures.tenantB] { try await storeFixtureKey(tenant, client) }
                    }
                }
                return try await body(client, url)
            }
            try await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs `body` with two clients on one fresh, migrated database: the owner's, and one that
    /// logs in as a throwaway member of the application role `custos_app`, as `custos serve`
    /// does in production. The throwaway role is dropped afterwards.
    public static func withApplicationRole<Result: Sendable>(
        connectionsMax: Int = 8,
        _ body: (_ owner: PostgresClient, _ application: PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await withDatabase(connectionsMax: connectionsMax) { owner, url in
            let role = "custos_app_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
            let password = UUID().uuidString.replacingOccurrences(of: "-", with: "")
            let server = try serverURL()
            try await admin(server, "CREATE ROLE \(role) LOGIN INHERIT PASSWORD '\(password)' IN ROLE custos_app")
            do {
                let result = try await withClient(url.with(username: role, password: password), connectionsMax: connectionsMax) { application in
                    try await body(owner, application)
                }
                try await admin(server, "DROP ROLE IF EXISTS \(role)")
                return result
            } catch {
                try? await admin(server, "DROP ROLE IF EXISTS \(role)")
                throw error
            }
        }
    }

    /// Runs `body` while a client's pool runs on `url`.
    public static func withClient<Result: Sendable>(
        _ url: PostgresURL, connectionsMax: Int = 4, _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: url.clientConfiguration(connectionsMax: connectionsMax), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// The number of rows in a table: lets tests prove that a rejected request wrote nothing.
    public static func count(_ table: String, _ client: PostgresClient) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(table)"), logger: logger)
        for try await count in rows.decode(Int64.self) { return count }
        return -1
    }

    private static func admin(_ server: PostgresURL, _ sql: String) async throws {
        try await withClient(server, connectionsMax: 1) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// Stores `tenant`'s fixture key (and its KEK version 1) as the owner would.
    public static func storeFixtureKey(_ tenant: TenantID, _ client: PostgresClient) async throws {
        let key = Sealing.key(tenant)
        guard let wrapped = key.wrapped else { preconditionFailure("fixture keys are live") }
        try await client.query(
            "INSERT INTO key_encryption_keys (tenant_id, version, status) VALUES (\(tenant.rawValue), 1, 'active')", logger: logger
        )
        try await client.query(
            """
            INSERT INTO data_keys (id, tenant_id, subject, version, status, kek_version, wrapped)
            VALUES (\(key.reference.id.rawValue), \(tenant.rawValue), \(key.subject.id.value), 1, 'active', 1, \(ByteBuffer(bytes: wrapped.bytes)))
            """,
            logger: logger
        )
    }
}
