import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import Testing
import TestSupport

/// The transaction slice through the real router, on the in-memory adapter.
@Suite struct TransactionAPITests {
    let repository = InMemoryTransactionRepository()

    @Test func postThenGetRoundTrips() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let created = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
            )
            #expect(created.status == .created)
            let body = try object(created)
            let id = try #require(body["id"] as? String)
            #expect(created.headers[.location] == "/v1/transactions/\(id)")
            #expect(body["amount_minor"] as? Int == 12_345)
            #expect(body["currency"] as? String == "EUR")
            #expect(body["occurred_at"] as? String == "2026-11-24T09:30:00.000000Z")
            #expect(body["recorded_at"] as? String == Fixtures.now.rfc3339)
            let fetched = try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders())
            #expect(fetched.status == .ok)
            #expect(fetched.body == created.body)
        }
    }

    @Test func threeInvalidFieldsAreReportedTogetherAndNothingIsWritten() async throws {
        let body = transactionJSON(["amount_minor": -5, "currency": "eur", "direction": "sideways"])
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)
            )
            let problem = try expectProblem(response, status: .unprocessableContent, slug: "validation-failed")
            let errors = try #require(problem["errors"] as? [[String: Any]])
            #expect(Set(errors.compactMap { $0["field"] as? String }) == ["amount_minor", "currency", "direction"])
            #expect(errors.allSatisfy { ($0["reason"] as? String)?.isEmpty == false })
        }
        #expect(repository.count == 0)
    }

    /// A valid body written as raw JSON text, with one member replaced or added verbatim,
    /// so that numbers like 1e20 reach the server exactly as typed.
    static func rawBody(_ key: String, _ rawValue: String) -> String {
        var members: [(String, String)] = [
            ("account_id", #""ACC-001""#), ("counterparty_account", #""DE89370400440532013000""#),
            ("amount_minor", "12345"), ("currency", #""EUR""#), ("direction", #""debit""#),
            ("kind", #""transfer""#), ("occurred_at", #""2026-11-24T09:30:00Z""#),
        ]
        members.removeAll { $0.0 == key }
        members.append((key, rawValue))
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    @Test(arguments: [
        ("amount_minor", #""100""#, "wrong_type"), ("amount_minor", "10.5", "wrong_type"),
        ("amount_minor", "100000000000000000000", "wrong_type"), ("amount_minor", "true", "wrong_type"),
        ("currency", "978", "wrong_type"), ("kind", "[]", "wrong_type"), ("surprise", "true", "unknown_field"),
        ("account_id", "null", "required"),
    ])
    func wrongJSONTypesAreFieldErrors(field: String, rawValue: String, code: String) async throws {
        let body = Self.rawBody(field, rawValue)
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)
            )
            let problem = try expectProblem(response, status: .unprocessableContent, slug: "validation-failed")
            let errors = try #require(problem["errors"] as? [[String: Any]])
            #expect(errors.count == 1)
            #expect(errors.first?["field"] as? String == field)
            #expect(errors.first?["code"] as? String == code)
        }
        #expect(repository.count == 0)
    }

    @Test(arguments: ["{", "[1,2]", "", "null", "\"text\""])
    func malformedOrNonObjectJSONIs400(body: String) async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body)
            )
            try expectProblem(response, status: .badRequest, slug: "malformed-json")
        }
        #expect(repository.count == 0)
    }

    @Test func aBodyOverTheLimitIs413AndNothingIsWritten() async throws {
        // A syntactically valid transaction padded to 2 MiB, so that only the size can refuse it.
        let padding = String(repeating: " ", count: 2 << 20)
        let body = transactionJSON().dropLast() + padding + "}"
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: String(body))
            )
            try expectProblem(response, status: .contentTooLarge, slug: "body-too-large")
        }
        #expect(repository.count == 0)
    }

    @Test func theBodyLimitIsConfigurable() async throws {
        try await makeApp(repository: repository, bodyBytesMax: 64).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
            )
            try expectProblem(response, status: .contentTooLarge, slug: "body-too-large")
        }
    }

    @Test func anotherTenantsTransactionIs404LikeAnUnknownOne() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let created = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
            )
            let id = try #require(try object(created)["id"] as? String)
            let foreign = try await client.execute(
                uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders(tenant: Fixtures.tenantB)
            )
            let unknown = try await client.execute(
                uri: "/v1/transactions/\(UUID().uuidString)", method: .get, headers: jsonHeaders()
            )
            let malformed = try await client.execute(uri: "/v1/transactions/not-an-id", method: .get, headers: jsonHeaders())
            for response in [foreign, unknown, malformed] {
                let problem = try expectProblem(response, status: .notFound, slug: "transaction-not-found")
                #expect(problem["detail"] as? String == "no transaction with this id exists for this tenant")
            }
        }
    }

    @Test func aNonJSONContentTypeIs415() async throws {
        var fields = jsonHeaders()
        fields[.contentType] = "application/x-www-form-urlencoded"
        let headers = fields
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: headers, body: ByteBuffer(string: transactionJSON())
            )
            try expectProblem(response, status: .unsupportedMediaType, slug: "unsupported-media-type")
        }
        #expect(repository.count == 0)
    }
}
