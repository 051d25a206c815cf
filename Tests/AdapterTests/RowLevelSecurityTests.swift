import Domain
import Foundation
import Logging
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import MemoryAdapters
import SystemAdapters
import TestSupport
import Testing

/// Row-level security (migrations/0016), through the application role: a query that forgets
/// its tenant still sees only the tenant its transaction is scoped to.
@Suite struct RowLevelSecurityTests {
    let logger = Logger(label: "test")

    /// Rows of tenants A and B in every tenant table, written as `custos serve` writes them.
    func seed(_ application: PostgresClient) async throws -> (heldA: TransactionID, heldB: TransactionID) {
        let usage = PoolUsage(connectionsMax: 4)
        let keeper = PostgresGroupCommitKeeper(client: application, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: logger)
        let single = PostgresRecordKeeper(client: application, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: logger)
        var held: [TenantID: TransactionID] = [:]
        for tenant in [Fixtures.tenantA, Fixtures.tenantB] {
            let event = AuditEvent(scope: .system, eventType: "tenant.created", context: AuditContext(actor: "test"), outcome: .success,
                                   resourceType: "tenant", resourceID: tenant.description)
            _ = try await single.commit(AuditedChange(
                writes: [.createTenant(Tenant(id: tenant, name: try TenantName("Tenant \(tenant)"), createdAt: Fixtures.now)),
                         .registerClient(APIClient(id: ClientID(tenant.rawValue), tenant: tenant, scopes: [.transactionsRead], roles: [],
                                                   secretHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", createdAt: Fixtures.now))],
                events: [event]))
            for _ in 0..<3 { _ = try await keeper.commit(recorded(Fixtures.transaction(tenant: tenant))) }
            let request = IdempotentRequest(tenant: tenant, client: ClientID(tenant.rawValue), key: IdempotencyKey(header: "k")!,
                                            method: "POST", route: "/v1/transactions", body: [])
            let heldOne = Sealing.seal(Fixtures.transaction(tenant: tenant).deciding(PolicyFixtures.heldDecision))
            _ = try await single.commit(AuditedChange(
                writes: [.rememberOutcome(IdempotentOutcome(request: request, resource: .transaction(heldOne.id), createdAt: Fixtures.now)),
                         .insertTransaction(heldOne)],
                events: [AuditEvent(scope: .tenant(tenant), eventType: "transaction.recorded", context: AuditContext(actor: "test"),
                                    outcome: .success, resourceType: "transaction", resourceID: heldOne.id.description)]))
            held[tenant] = heldOne.id
        }
        return (held[Fixtures.tenantA]!, held[Fixtures.tenantB]!)
    }

    /// The tenant of every row of `table` the connection sees: the deliberately unscoped query.
    func tenants(of table: String, on connection: PostgresConnection) async throws -> [UUID] {
        var found: [UUID] = []
        let column = table == "tenants" ? "id" : "tenant_id"
        for try await id in try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(column) FROM \(table)"), logger: logger).decode(UUID.self) {
            found.append(id)
        }
        return found
    }

    @Test func anUnscopedQuerySeesOnlyTheScopedTenantsRows() async throws {
        try await TestDatabase.withApplicationRole { owner, application in
            _ = try await seed(application)
            // The owner is not bound: it sees both tenants, so the rows are there.
            try await owner.withConnection { connection in
                for table in RowScope.tenantTables where table != "transaction_reviews" {
                    let seen = Set(try await tenants(of: table, on: connection))
                    #expect(seen == [Fixtures.tenantA.rawValue, Fixtures.tenantB.rawValue], "\(table)")
                }
            }
            try await application.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                try await connection.setRowScope(.tenant(Fixtures.tenantA), logger: logger)
                for table in RowScope.tenantTables where table != "transaction_reviews" {
                    let seen = try await tenants(of: table, on: connection)
                    #expect(!seen.isEmpty && seen.allSatisfy { $0 == Fixtures.tenantA.rawValue }, "\(table): \(seen)")
                }
                // Naming the other tenant does not help.
                let theirs = try await connection.query("SELECT count(*) FROM transactions WHERE tenant_id = \(Fixtures.tenantB.rawValue)", logger: logger)
                for try await count in theirs.decode(Int64.self) { #expect(count == 0) }
                try await connection.query("COMMIT", logger: logger)

                // SET LOCAL: the next transaction on this pooled connection has no scope, and sees nothing.
                for table in RowScope.tenantTables {
                    let seen = try await tenants(of: table, on: connection)
                    #expect(seen.isEmpty, "\(table) without a scope")
                }
            }
        }
    }

    /// The audit tables are guarded by their log's tenant: an unscoped read of entries, checkpoints
    /// and the log registry in tenant A's scope sees tenant A's log only.
    @Test func anUnscopedAuditQuerySeesOnlyTheScopedTenantsLog() async throws {
        try await TestDatabase.withApplicationRole { _, application in
            _ = try await seed(application)
            let store = PostgresAuditLogStore(client: application, logger: logger)
            let keyring = try SodiumAuditKeyring(rootKey: [UInt8](repeating: 3, count: 32))
            let sign = SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: SystemClock())
            let origins = AuditOrigins()
            for tenant in [Fixtures.tenantA, Fixtures.tenantB] { _ = try await sign(origin: origins.origin(of: .tenant(tenant))) }
            let mine = origins.origin(of: .tenant(Fixtures.tenantA))
            try await application.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                try await connection.setRowScope(.tenant(Fixtures.tenantA), logger: logger)
                // (A log this small has no stored tree nodes, and no key rotation.)
                for table in RowScope.auditTables where table != "audit_key_rotations" && table != "audit_tree_nodes" {
                    var seen: Set<String> = []
                    for try await origin in try await connection.query(PostgresQuery(unsafeSQL: "SELECT origin FROM \(table)"), logger: logger)
                        .decode(String.self) { seen.insert(origin) }
                    #expect(seen == [mine], "\(table): \(seen)")
                }
                try await connection.query("COMMIT", logger: logger)
            }
            // The store reads a tenant's log in that tenant's scope, and still finds everything of it.
            #expect(try await store.head(origin: mine)?.size == 4, "three rows group-committed and one keyed")
            #expect(try await store.latestCheckpoint(origin: mine) != nil)
            #expect(try await store.originsAwaitingCheckpoint(limit: 10).contains(origins.origin(of: .system)))
        }
    }

    @Test func aScopedTransactionCannotWriteAnotherTenantsRows() async throws {
        try await TestDatabase.withApplicationRole { _, application in
            let (_, heldB) = try await seed(application)
            try await application.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                try await connection.setRowScope(.tenant(Fixtures.tenantA), logger: logger)
                let refused = try await #require(throws: PSQLError.self) {
                    try await connection.query("""
                        INSERT INTO transaction_reviews (tenant_id, transaction_id, verdict, reason, decided_by, decided_at)
                        VALUES (\(Fixtures.tenantB.rawValue), \(heldB.rawValue), 'approve', 'x', \(UUID()), now())
                        """, logger: logger)
                }
                // Refused by the policy (42501) or, since tenant A cannot see B's row, by the review rule (CU006).
                #expect(["42501", "CU006"].contains(refused.serverInfo?[.sqlState] ?? ""), "\(String(reflecting: refused))")
                try await connection.query("ROLLBACK", logger: logger)

                try await connection.query("BEGIN", logger: logger)
                try await connection.setRowScope(.tenant(Fixtures.tenantA), logger: logger)
                let policy = try await #require(throws: PSQLError.self) {
                    try await connection.query("""
                        INSERT INTO idempotency_keys (tenant_id, client_id, key_sha256, request_sha256, resource_type, resource_id, created_at)
                        VALUES (\(Fixtures.tenantB.rawValue), \(UUID()), \(ByteBuffer(repeating: 1, count: 32)), \(ByteBuffer(repeating: 2, count: 32)),
                                'transaction', \(UUID()), now())
                        """, logger: logger)
                }
                #expect(policy.serverInfo?[.sqlState] == "42501")
                try await connection.query("ROLLBACK", logger: logger)
            }
        }
    }

    @Test func theApplicationRoleOwnsNoTenantTableAndCannotBypass() async throws {
        try await TestDatabase.withApplicationRole { _, application in
            let rows = try await application.query("""
                SELECT c.relname, c.relrowsecurity, pg_has_role(c.relowner, 'MEMBER'),
                       (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user)
                FROM pg_class c WHERE c.relname = ANY(\(RowScope.guardedTables)) AND c.relkind = 'r'
                """, logger: logger)
            var seen = 0
            for try await (name, secured, owns, bypass) in rows.decode((String, Bool, Bool, Bool).self) {
                seen += 1
                #expect(secured && !owns && !bypass, "\(name)")
            }
            #expect(seen == RowScope.guardedTables.count)
            // The one-statement group commit writes in the system scope through its function's own
            // setting: a migration that re-creates the function must set it again, or every fast
            // batch would be refused and quietly retried on the slow path.
            let config = try await application.query(
                "SELECT array_to_string(proconfig, ',') FROM pg_proc WHERE proname = 'custos_audit_append_on_tail'", logger: logger
            )
            var settings: [String?] = []
            for try await value in config.decode(String?.self) { settings.append(value) }
            #expect(settings.count == 1 && settings[0]?.contains("custos.system=on") == true, "\(settings)")
        }
    }

    /// What the API reads goes through the scope: the adapters still find the tenant's rows as
    /// the application role, and never another tenant's.
    @Test func theAdaptersReadThroughTheirTenantsScope() async throws {
        try await TestDatabase.withApplicationRole { _, application in
            let (heldA, heldB) = try await seed(application)
            let usage = PoolUsage(connectionsMax: 4)
            let repository = PostgresTransactionRepository(client: application, usage: usage, logger: logger)
            #expect(try await repository.transaction(id: heldA, tenant: Fixtures.tenantA) != nil)
            #expect(try await repository.transaction(id: heldB, tenant: Fixtures.tenantA) == nil)
            #expect(try await repository.transactions(tenant: Fixtures.tenantA, after: nil, limit: 100).count == 4)
            #expect(try await repository.awaitingReview(tenant: Fixtures.tenantA, after: nil, limit: 100).map(\.id) == [heldA])
            let store = PostgresIdempotencyStore(client: application, usage: usage, logger: logger)
            let key = IdempotencyKey(header: "k")!
            #expect(try await store.outcome(of: key, client: ClientID(Fixtures.tenantA.rawValue), tenant: Fixtures.tenantA)?.resource == .transaction(heldA))
            let access = PostgresAccessDirectory(client: application, usage: usage, logger: logger)
            #expect(try await access.client(ClientID(Fixtures.tenantA.rawValue), of: Fixtures.tenantA) != nil)
            #expect(try await access.client(ClientID(Fixtures.tenantB.rawValue), of: Fixtures.tenantA) == nil, "another tenant's client reads as none")
            #expect(try await access.client(ClientID(Fixtures.tenantB.rawValue)) != nil, "the token endpoint's lookup sees every tenant")
            #expect(try await access.tenant(Fixtures.tenantB) != nil)
            #expect(try await access.tenants(limit: 10).count == 2)
            let keys = PostgresDataKeyStore(client: application, usage: usage, logger: logger)
            #expect(try await keys.activeKey(of: DataSubject(tenant: Fixtures.tenantA, id: Sealing.subjectAccount)) != nil)
            let history = try await repository.facts(HistoryQuery(
                tenant: Fixtures.tenantA, account: Sealing.subjectAccount, currency: Currency(code: "EUR")!,
                occurredAt: Fixtures.now, counterpartyAccountIndex: 0
            ))
            #expect(history.windows.count7d == 4)
        }
    }
}
