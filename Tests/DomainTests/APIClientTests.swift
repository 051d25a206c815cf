import Domain
import Foundation
import Testing
import TestSupport

@Suite struct APIClientTests {
    /// The role limit is on distinct roles, as `RegisterClient.parse` checks it: repeats are
    /// dropped, never a crash (`custos clients create --roles "a,a,…"`).
    @Test func repeatedRolesCountOnce() throws {
        let maker = try ClientRole("maker")
        let (_, parsed) = try RegisterClient.parse(scopes: "transactions:read", roles: Array(repeating: "maker", count: 20).joined(separator: ","))
        let client = APIClient(
            id: ClientID(UUID()), tenant: Fixtures.tenantA, scopes: [.transactionsRead], roles: parsed,
            secretHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", createdAt: Fixtures.now
        )
        #expect(client.roles == [maker])
    }
}
