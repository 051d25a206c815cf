@testable import CustosCLI
import Logging
import Testing
import TestSupport

/// `custos serve` in production refuses a database role that could change audit rows.
@Suite struct ApplicationRoleCheckTests {
    @Test func theOwnerIsRefusedInProductionAndTheApplicationRoleIsAccepted() async throws {
        try await TestDatabase.withApplicationRole { owner, application in
            let logger = Logger(label: "test")
            let error = await #expect(throws: ApplicationRoleCheck.TooPowerful.self) {
                try await ApplicationRoleCheck.run(client: owner, environment: .production, logger: logger)
            }
            #expect(error?.tables == ApplicationRoleCheck.auditTables.sorted())
            // Development only warns.
            try await ApplicationRoleCheck.run(client: owner, environment: .development, logger: logger)
            try await ApplicationRoleCheck.run(client: application, environment: .production, logger: logger)
        }
    }
}
