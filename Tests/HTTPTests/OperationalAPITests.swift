import Domain
import Foundation
import HTTPInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import Testing
import TestSupport

/// Health, readiness, metrics, request ids and the error catch-all.
@Suite struct OperationalAPITests {
    let repository = InMemoryTransactionRepository()

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            for (uri, headers) in [("/healthz", HTTPFields()), ("/no-such-route", HTTPFields()), ("/v1/audit/keys", HTTPFields()),
                                   ("/v1/audit/keys", jsonHeaders())] {
                let response = try await client.execute(uri: uri, method: .get, headers: headers)
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
            }
        }
    }

    @Test func onTLSEveryResponseCarriesStrictTransportSecurity() async throws {
        for maxAgeSeconds in [31_536_000, 0] {
            try await makeApp(repository: repository, hstsMaxAgeSeconds: maxAgeSeconds).test(.router) { client in
                for (uri, method, headers) in [("/healthz", HTTPRequest.Method.get, HTTPFields()), ("/no-such-route", .get, HTTPFields()),
                                               ("/v1/audit/keys", .get, HTTPFields()), ("/v1/audit/keys", .get, jsonHeaders()),
                                               ("/healthz", .post, HTTPFields())] {
                    let response = try await client.execute(uri: uri, method: method, headers: headers)
                    #expect(response.headers[.strictTransportSecurity] == "max-age=\(maxAgeSeconds)", "\(method) \(uri)")
                    #expect(response.headers[values: .strictTransportSecurity].count == 1, "\(method) \(uri)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(method) \(uri)")
                }
            }
        }
    }

    @Test func onPlainHTTPNoResponseCarriesStrictTransportSecurity() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            for (uri, headers) in [("/healthz", HTTPFields()), ("/no-such-route", HTTPFields()), ("/v1/audit/keys", HTTPFields()),
                                   ("/v1/audit/keys", jsonHeaders())] {
                let response = try await client.execute(uri: uri, method: .get, headers: headers)
                #expect(response.headers[.strictTransportSecurity] == nil, "\(uri)")
            }
        }
    }

    @Test func healthzAnswersWithoutTheDatabase() async throws {
        try await makeApp(repository: repository, readiness: StubReadiness(ready: false)).test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(try object(response)["status"] as? String == "ok")
        }
    }

    @Test func readyzFollowsTheReadinessCheck() async throws {
        try await makeApp(repository: repository, readiness: StubReadiness(ready: true)).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok)
            #expect(try object(response)["status"] as? String == "ready")
        }
        try await makeApp(repository: repository, readiness: StubReadiness(ready: false)).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            let problem = try expectProblem(response, status: .serviceUnavailable, slug: "not-ready")
            #expect(problem["detail"] as? String == "database: unreachable")
            #expect(response.headers[.retryAfter] == "5")
        }
    }

    @Test func metricsCountRequestsByRouteTemplateMethodAndStatus() async throws {
        let metrics = HTTPMetrics()
        try await makeApp(repository: repository, metrics: metrics).test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(
                    uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
                )
            }
            try await client.execute(uri: "/v1/transactions/\(UUID())", method: .get, headers: jsonHeaders())
            try await client.execute(uri: "/no/such/path/12345", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            #expect(text.contains(#"custos_http_requests_total{route="/v1/transactions",method="POST",status="201"} 2"#))
            #expect(text.contains(#"custos_http_requests_total{route="/v1/transactions/{id}",method="GET",status="404"} 1"#))
            #expect(text.contains(#"custos_http_request_duration_seconds_count{route="/v1/transactions",method="POST",status="201"} 2"#))
            #expect(text.contains(#"route="unmatched""#))
            #expect(!text.contains("12345"), "raw paths must not become labels")
        }
    }

    @Test func aValidRequestIDIsEchoedAndAnInvalidOneReplaced() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let kept = try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "abc-123.XYZ_9:1"])
            #expect(kept.headers[.requestID] == "abc-123.XYZ_9:1")
            for bad in ["has space", String(repeating: "a", count: 129), "<script>"] {
                let replaced = try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: bad])
                let id = try #require(replaced.headers[.requestID])
                #expect(id != bad)
                #expect(UUID(uuidString: id) != nil)
            }
            let generated = try await client.execute(uri: "/healthz", method: .get)
            #expect(UUID(uuidString: try #require(generated.headers[.requestID])) != nil)
            #expect(generated.headers[.xContentTypeOptionsTest] == "nosniff")
            #expect(generated.headers[.cacheControl] == "no-store")
        }
    }

    @Test func unknownRoutesAndMethodsAreProblems() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(uri: "/nope", method: .get)
            try expectProblem(response, status: .notFound, slug: "route-not-found")
        }
    }

    /// A failure nobody anticipated: the client sees a generic 500 that reveals nothing.
    @Test func unexpectedErrorsAreAGeneric500ThatLeaksNothing() async throws {
        struct Exploding: TransactionRepository, TransactionHistory, RecordKeeper, AuditLogStore {
            struct Secret: Error, CustomStringConvertible { var description: String { "card 4111111111111111 at db-7" } }
            func transaction(id: TransactionID, tenant: TenantID) async throws -> StoredTransaction? { throw Secret() }
            func transactions(
                counterpartyAccountIndex index: UInt32, tenant: TenantID, after position: TransactionPosition?, limit: Int
            ) async throws -> [StoredTransaction] { throw Secret() }
            func transactions(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction] {
                throw Secret()
            }
            func awaitingReview(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction] {
                throw Secret()
            }
            func commit(_ change: AuditedChange) async throws -> [AuditReceipt] { throw Secret() }
            func facts(_ query: HistoryQuery) async throws -> HistoryFacts { throw Secret() }
            func head(origin: String) async throws -> AuditLogHead? { throw Secret() }
            func entries(origin: String, from start: UInt64, count: Int) async throws -> [[UInt8]] { throw Secret() }
            func latestCheckpoint(origin: String) async throws -> String? { throw Secret() }
            func treeNodes(origin: String, in ranges: [MerkleNodeRange]) async throws -> [MerkleNode] { throw Secret() }
            func saveCheckpoint(
                origin: String, size: UInt64, note: String, extending previousSize: UInt64, nodes: [MerkleNode],
                rotations: [LogKeySchedule.Rotation]
            ) async throws -> CheckpointSaveOutcome { throw Secret() }
            func keyRotations(origin: String) async throws -> [LogKeySchedule.Rotation] { throw Secret() }
            func originsAwaitingCheckpoint(limit: Int) async throws -> [String] { throw Secret() }
        }
        try await makeApp(repository: Exploding(), keeper: Exploding(), bundles: InMemoryPolicyBundleStore(), idempotency: InMemoryIdempotencyStore()).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
            )
            let problem = try expectProblem(response, status: .internalServerError, slug: "internal")
            let text = String(buffer: response.body)
            #expect(!text.contains("4111") && !text.contains("db-7") && !text.contains("Secret"))
            #expect((problem["detail"] as? String)?.contains("request id") == true)
        }
    }
}

extension HTTPField.Name {
    static let xContentTypeOptionsTest = HTTPField.Name("X-Content-Type-Options")!
}

/// docs/errors.md is the published list of problem types: it must name every one the server can send.
@Suite struct ErrorCatalogueTests {
    @Test func docsListEveryProblemType() throws {
        let docs = try String(contentsOf: TestDatabase.packageRoot.appendingPathComponent("docs/errors.md"), encoding: .utf8)
        for type in ProblemType.all {
            #expect(docs.contains("`\(type.uri)`"), "docs/errors.md does not list \(type.uri)")
        }
        #expect(Set(ProblemType.all.map(\.slug)).count == ProblemType.all.count, "slugs are unique")
    }
}
