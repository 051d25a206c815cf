import Domain
import Foundation
import HTTPInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import SodiumAdapters
import SystemAdapters
import Testing
import TestSupport

/// Bearer tokens on every `/v1` route: who may call, with which scope, for which tenant.
@Suite struct AuthAPITests {
    /// Every `/v1` route, with the scope it needs.
    static let routes: [(HTTPRequest.Method, String, Scope)] = [
        (.post, "/v1/transactions", .transactionsWrite),
        (.get, "/v1/transactions?counterparty_account=DE89370400440532013000", .transactionsRead),
        (.get, "/v1/transactions?limit=10", .transactionsRead),
        (.get, "/v1/reviews", .reviewsDecide),
        (.post, "/v1/reviews/\(UUID().uuidString)", .reviewsDecide),
        (.get, "/v1/transactions/\(UUID().uuidString)", .transactionsRead),
        (.get, "/v1/transactions/\(UUID().uuidString)/decision", .transactionsRead),
        (.get, "/v1/transactions/\(UUID().uuidString)/decision/replay", .transactionsRead),
        (.get, "/v1/audit/checkpoint", .auditRead),
        (.get, "/v1/audit/entries?start=0&limit=1", .auditRead),
        (.get, "/v1/audit/proofs/inclusion?index=0&size=1", .auditRead),
        (.get, "/v1/audit/proofs/consistency?first=1&second=1", .auditRead),
        (.get, "/v1/audit/keys", .auditRead),
    ]

    static func headers(_ authorization: String?) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let authorization { headers[.authorization] = authorization }
        return headers
    }

    @Test func everyRouteWithoutATokenIs401WithABearerChallenge() async throws {
        let repository = InMemoryTransactionRepository()
        try await makeApp(repository: repository).test(.router) { client in
            for (method, uri, _) in Self.routes {
                for authorization in [nil, "Basic dXNlcjpwYXNz", "Bearer"] as [String?] {
                    let response = try await client.execute(
                        uri: uri, method: method, headers: Self.headers(authorization), body: ByteBuffer(string: transactionJSON())
                    )
                    try expectProblem(response, status: .unauthorized, slug: "unauthenticated")
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="custos""#, "\(method) \(uri)")
                }
            }
        }
        #expect(repository.count == 0)
    }

    @Test func invalidTokensAre401InvalidToken() async throws {
        let now = Fixtures.now.microsecondsSinceEpoch / 1_000_000
        func token(issuer: String = TestTokens.issuer, audience: String = TestTokens.audience, expiresAt: Int64? = nil,
                   signer: SodiumTokenSigner = testTokenSigner) -> String {
            AccessTokenJWT.sign(AccessTokenClaims(
                issuer: issuer, subject: ClientID(Fixtures.tenantA.rawValue), audience: audience, issuedAt: now - 7_200, notBefore: now - 7_200,
                expiresAt: expiresAt ?? now + 600, tokenID: "t", tenant: Fixtures.tenantA, scopes: Scope.allCases, roles: []
            ), with: signer)
        }
        let valid = token()
        let parts = valid.split(separator: ".")
        let none = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + parts[1] + "."
        let bad = [
            token(issuer: "someone-else"), token(audience: "another-api"), token(expiresAt: now - 60),
            token(signer: try SodiumTokenSigner(seed: Array(repeating: 1, count: 32))), none, "not.a.token",
            // Valid and signed, for a tenant its client is not in.
            AccessTokenJWT.sign(AccessTokenClaims(
                issuer: TestTokens.issuer, subject: ClientID(Fixtures.tenantA.rawValue), audience: TestTokens.audience, issuedAt: now,
                notBefore: now, expiresAt: now + 600, tokenID: "t", tenant: Fixtures.tenantB, scopes: Scope.allCases, roles: []
            ), with: testTokenSigner),
            TestTokens.token(tenant: Fixtures.tenantA, client: TestTokens.revokedClient.id),
            TestTokens.token(tenant: Fixtures.tenantA, client: ClientID(UUID())),
        ]
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            let ok = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: Self.headers("Bearer " + valid))
            #expect(ok.status == .ok)
            for token in bad {
                let response = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: Self.headers("Bearer " + token))
                try expectProblem(response, status: .unauthorized, slug: "invalid-token")
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="custos", error="invalid_token""#)
            }
        }
    }

    @Test func everyRouteRefusesATokenWithoutItsScopeAndAuditsTheDenial() async throws {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            for (method, uri, scope) in Self.routes {
                let others = Scope.allCases.filter { $0 != scope }
                let response = try await client.execute(
                    uri: uri, method: method, headers: jsonHeaders(scopes: others), body: ByteBuffer(string: transactionJSON())
                )
                try expectProblem(response, status: .forbidden, slug: "insufficient-scope")
                #expect(response.headers[.wwwAuthenticate]?.contains(#"scope="\#(scope.rawValue)""#) == true, "\(method) \(uri)")
            }
        }
        #expect(repository.count == 0)
        let log = String(decoding: keeper.entries(of: .tenant(Fixtures.tenantA)).joined(), as: UTF8.self)
        #expect(log.components(separatedBy: "auth.scope_denied").count - 1 == Self.routes.count)
        #expect(log.contains("POST /v1/transactions") && log.contains("client:"))
    }

    @Test func theTenantComesFromTheTokenAndNeverFromAHeader() async throws {
        let repository = InMemoryTransactionRepository()
        try await makeApp(repository: repository).test(.router) { client in
            var headers = jsonHeaders(tenant: Fixtures.tenantA)
            headers[HTTPField.Name("X-Tenant-ID")!] = Fixtures.tenantB.description
            let created = try await client.execute(uri: "/v1/transactions", method: .post, headers: headers, body: ByteBuffer(string: transactionJSON()))
            #expect(created.status == .created)
            let id = try #require(try object(created)["id"] as? String)
            let mine = try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders(tenant: Fixtures.tenantA))
            #expect(mine.status == .ok)
            let theirs = try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders(tenant: Fixtures.tenantB))
            try expectProblem(theirs, status: .notFound, slug: "transaction-not-found")
        }
    }

    @Test func aClientOverItsRateGets429WithRetryAfterAndOthersAreNotSlowed() async throws {
        let clock = ManualClock(Fixtures.now)
        let limiter = InProcessRateLimiter(TokenBucket.Limits(perSecond: 1, burst: 2), clock: clock)
        try await makeApp(repository: InMemoryTransactionRepository(), rateLimiter: limiter).test(.router) { client in
            for _ in 0..<2 {
                let response = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: jsonHeaders())
                #expect(response.status == .ok)
            }
            let limited = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: jsonHeaders())
            try expectProblem(limited, status: .tooManyRequests, slug: "rate-limited")
            #expect(limited.headers[.retryAfter] == "1")
            let other = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: jsonHeaders(tenant: Fixtures.tenantB))
            #expect(other.status == .ok)
            clock.set(UTCTimestamp(microsecondsSinceEpoch: Fixtures.now.microsecondsSinceEpoch + 1_000_000))
            let refilled = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: jsonHeaders())
            #expect(refilled.status == .ok)
        }
    }
}
