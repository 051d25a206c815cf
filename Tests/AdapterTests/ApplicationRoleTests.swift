import Domain
import Foundation
import Logging
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters
import TestSupport
import Testing

/// The application role `custos_app` (migrations/0007): everything `custos serve` does works
/// through it, and it can change no audit row, with the triggers' help or without.
@Suite struct ApplicationRoleTests {
    static let origins = AuditOrigins()
    static let auditTables = RowScope.auditTables

    @Test func theServersWorkRunsAsTheApplicationRole() async throws {
        try await TestDatabase.withApplicationRole { _, client in
            let logger = Logger(label: "test")
            let usage = PoolUsage(connectionsMax: 8)
            let clock = SystemClock()
            let group = PostgresGroupCommitKeeper(client: client, origins: Self.origins, clock: clock, usage: usage, logger: logger)
            let single = PostgresRecordKeeper(client: client, origins: Self.origins, clock: clock, usage: usage, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for n in 0..<40 {
                    tasks.addTask { _ = try await (n.isMultiple(of: 2) ? group : single as any RecordKeeper).commit(recorded(Fixtures.transaction())) }
                }
                try await tasks.waitForAll()
            }
            let repository = PostgresTransactionRepository(client: client, usage: usage, logger: logger)
            let transaction = Fixtures.transaction()
            _ = try await group.commit(recorded(transaction))
            #expect(try Sealing.open(await repository.transaction(id: transaction.id, tenant: transaction.tenantID)) == transaction)

            let store = PostgresAuditLogStore(client: client, logger: logger)
            let keyring = try SodiumAuditKeyring(rootKey: [UInt8](repeating: 3, count: 32))
            let origin = Self.origins.origin(of: .tenant(Fixtures.tenantA))
            let sign = SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: clock)
            let first = try #require(try await sign(origin: origin))
            #expect(try Checkpoint(parsing: first.text).size == 41)
            _ = try await RotateLogKey(keeper: single, store: store, keys: keyring, origins: Self.origins, clock: clock)(
                scope: .tenant(Fixtures.tenantA), overlapMs: 0, context: AuditContext(actor: "operator:test")
            )
            #expect(try await sign.sign(origin: origin)?.start == .resumed)
            #expect(try await store.keyRotations(origin: origin).map(\.version) == [2])
            let proof = try await ReadAuditLog(store: store, keys: keyring).inclusionProof(origin: origin, index: 7, size: nil)
            #expect(proof.size == 42)
        }
    }

    @Test(arguments: auditTables)
    func theApplicationRoleCannotChangeAuditRows(table: String) async throws {
        try await TestDatabase.withApplicationRole { owner, client in
            let logger = Logger(label: "test")
            let keeper = PostgresRecordKeeper(
                client: client, origins: Self.origins, clock: SystemClock(), usage: PoolUsage(connectionsMax: 2), logger: logger
            )
            _ = try await keeper.commit(recorded(Fixtures.transaction()))
            // With the triggers out of the way, only the missing privileges stand in between.
            try await owner.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER USER"), logger: logger)
            for statement in ["UPDATE \(table) SET origin = origin", "DELETE FROM \(table)", "TRUNCATE \(table) CASCADE",
                              "ALTER TABLE \(table) DISABLE TRIGGER USER"] {
                let error = await #expect(throws: PSQLError.self, "\(statement)") {
                    try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                #expect(error?.serverInfo?[.sqlState] == "42501", "\(statement)")
            }
            #expect(try await TestDatabase.count("audit_entries", owner) == 1)
        }
    }
}
