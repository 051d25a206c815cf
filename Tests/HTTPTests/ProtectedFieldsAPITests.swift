import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import Testing
import TestSupport

/// Encrypted fields through the real router (in-memory stores, libsodium cipher): masking, the
/// optional name, the blind-index search and its limits.
@Suite struct ProtectedFieldsAPITests {
    let repository = InMemoryTransactionRepository()

    func post(_ client: some TestClientProtocol, _ overrides: [String: Any?] = [:]) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON(overrides))
        )
    }

    @Test func accountNumbersAreMaskedToTheLastFourAndNamesKept() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let created = try await post(client, ["counterparty_name": "Zoë Müller"])
            #expect(created.status == .created)
            let body = try object(created)
            #expect(body["counterparty_account"] as? String == "****3000")
            #expect(body["counterparty_name"] as? String == "Zoë Müller")
            #expect(body["erased"] as? [String] == [])
            #expect(!String(buffer: created.body).contains("DE89370400440532013000"))
            let id = try #require(body["id"] as? String)
            let fetched = try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders())
            #expect(try object(fetched)["counterparty_account"] as? String == "****3000")
            let short = try object(try await post(client, ["counterparty_account": "AB12"]))
            #expect(short["counterparty_account"] as? String == "****", "four characters or fewer: nothing shown")
            let unnamed = try object(try await post(client))
            #expect(unnamed["counterparty_name"] is NSNull)
        }
    }

    @Test(arguments: [String(repeating: "n", count: 141), "line\nbreak", ""])
    func badNamesAreRefused(name: String) async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await post(client, ["counterparty_name": name])
            let problem = try expectProblem(response, status: .unprocessableContent, slug: "validation-failed")
            let errors = try #require(problem["errors"] as? [[String: Any]])
            #expect(errors.compactMap { $0["field"] as? String } == ["counterparty_name"])
            #expect(errors.first?["code"] as? String == "invalid_name")
        }
        #expect(repository.count == 0)
    }

    @Test func searchFindsExactMatchesOfTheCallersTenantOnly() async throws {
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            let one = try object(try await post(client, ["counterparty_account": "NL91ABNA0417164300"]))
            _ = try await post(client, ["counterparty_account": "NL91ABNA0417164301"])
            _ = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(tenant: Fixtures.tenantB),
                body: ByteBuffer(string: transactionJSON(["counterparty_account": "NL91ABNA0417164300"]))
            )
            let found = try await client.execute(
                uri: "/v1/transactions?counterparty_account=nl91abna0417164300", method: .get, headers: jsonHeaders()
            )
            #expect(found.status == .ok)
            let items = try #require(try object(found)["items"] as? [[String: Any]])
            #expect(items.compactMap { $0["id"] as? String } == [try #require(one["id"] as? String)])
            #expect(items.first?["counterparty_account"] as? String == "****4300")
            let none = try await client.execute(uri: "/v1/transactions?counterparty_account=XX00", method: .get, headers: jsonHeaders())
            #expect(try #require(try object(none)["items"] as? [Any]).isEmpty)
        }
        // Each search is audited: how many matched, never the value searched for.
        let searches = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0) }
            .filter { $0.eventType == "transaction.searched" }
        #expect(searches.count == 2)
        let payload = String(decoding: searches[0].payload, as: UTF8.self)
        #expect(payload.contains(#""matches":1"#) && !payload.lowercased().contains("nl91abna"))
    }

    @Test(arguments: [
        "/v1/transactions?counterparty_account=", "/v1/transactions?limit=0", "/v1/transactions?counterparty_account=A&limit=0",
        "/v1/transactions?counterparty_account=A&limit=101", "/v1/transactions?counterparty_account=A&limit=x",
        "/v1/transactions?counterparty_account=" + String(repeating: "A", count: 65),
    ])
    func searchParametersAreChecked(uri: String) async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(uri: uri, method: .get, headers: jsonHeaders())
            _ = try expectProblem(response, status: .badRequest, slug: "bad-request")
        }
    }
}
