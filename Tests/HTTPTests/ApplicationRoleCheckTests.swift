@testable import CustosCLI
import Logging
import PostgresAdapters
import Testing
import TestSupport

/// `custos serve` in production refuses a database role that could change audit rows or bypass
/// row-level security.
@Suite struct ApplicationRoleCheckTests {
    @Test func theOwnerIsRefusedInProductionAndTheApplicationRoleIsAccepted() async throws {
        try await TestDatabase.withApplicationRole { owner, application in
            let logger = Logger(label: "test")
            let error = await #expect(throws: ApplicationRoleCheck.TooPowerful.self) {
                try await ApplicationRoleCheck.run(client: owner, environment: .production, logger: logger)
            }
            // The owner may change audit rows, and row-level security does not bind it.
            #expect(error?.tables == RowScope.auditTables.sorted() + RowScope.guardedTables.sorted())
            // Development only warns.
            try await ApplicationRoleCheck.run(client: owner, environment: .development, logger: logger)
            try await ApplicationRoleCheck.run(client: application, environment: .production, logger: logger)
        }
    }
}

/// Which URL each kind of work connects with, and the errors that name the right variable.
@Suite struct DatabaseLocatorTests {
    @Test func aBadMigrationURLIsNamedAsSuch() throws {
        let configuration = try Configuration.fromEnvironment(["CUSTOS_MIGRATION_DATABASE_URL": "mysql://x/y"])
        let error = #expect(throws: Configuration.Invalid.self) { try DatabaseLocator.migrationURL(for: configuration) }
        #expect(error?.variable == "CUSTOS_MIGRATION_DATABASE_URL")
    }

    @Test func aMigrationURLWithoutADatabaseURLIsRefusedForTheApplication() throws {
        let configuration = try Configuration.fromEnvironment(["CUSTOS_MIGRATION_DATABASE_URL": "postgres://owner@127.0.0.1/custos"])
        let error = #expect(throws: Configuration.Invalid.self) { try DatabaseLocator.url(for: configuration) }
        #expect(error?.variable == "DATABASE_URL")
        #expect(try DatabaseLocator.migrationURL(for: configuration).username == "owner")
    }
}
