import Domain
import Foundation
import HTTPInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import SodiumAdapters
import Testing
import TestSupport

struct StubReadiness: ReadinessCheck {
    let ready: Bool
    func check() async -> ReadinessReport {
        ReadinessReport(checks: [.init(name: "database", ok: ready, detail: ready ? "reachable" : "unreachable")])
    }
}

/// Wires the real router (the same `buildRouter` as `custos serve`) over the given adapters.
/// Without a keeper, an in-memory repository gets an in-memory record keeper of its own.
func makeApp(
    repository: any TransactionRepository, keeper: (any RecordKeeper)? = nil, auditStore: (any AuditLogStore)? = nil,
    keys: (any DataKeyStore)? = nil,
    policies: any ActivePolicySource = PolicyFixtures.source, bundles: (any PolicyBundleStore)? = nil,
    readiness: any ReadinessCheck = StubReadiness(ready: true),
    metrics: HTTPMetrics = HTTPMetrics(), bodyBytesMax: Int = HTTPDependencies.bodyBytesMaxDefault,
    tokens: TokenEndpoint? = nil, rateLimiter: (any RateLimiter)? = nil, idempotency: (any IdempotencyStore)? = nil,
    hstsMaxAgeSeconds: Int? = nil
) -> some ApplicationProtocol {
    let clock = ManualClock(Fixtures.now)
    guard let keeper = keeper ?? (repository as? InMemoryTransactionRepository).map({
        InMemoryRecordKeeper(transactions: $0, clock: clock)
    }) else { preconditionFailure("pass a keeper for this repository") }
    guard let store = auditStore ?? (keeper as? any AuditLogStore) else { preconditionFailure("pass an audit store") }
    let fields = Sealing.protection(
        keys: keys ?? (repository as? InMemoryTransactionRepository)?.keys ?? InMemoryDataKeyStore(), keeper: keeper
    )
    guard let history = repository as? any TransactionHistory else { preconditionFailure("the repository gives history too") }
    guard let bundles = bundles ?? (keeper as? InMemoryRecordKeeper)?.policyBundles else { preconditionFailure("pass a bundle store") }
    guard let idempotency = idempotency ?? (keeper as? InMemoryRecordKeeper)?.idempotency else { preconditionFailure("pass an idempotency store") }
    let dependencies = HTTPDependencies(
        recordTransaction: RecordTransaction(
            keeper: keeper, clock: clock, ids: SequentialIDGenerator(), fields: fields, policies: policies, history: history
        ),
        getTransaction: GetTransaction(repository: repository, keeper: keeper, fields: fields),
        findTransactions: FindTransactions(repository: repository, keeper: keeper, fields: fields),
        listTransactions: ListTransactions(repository: repository, keeper: keeper, fields: fields),
        listReviews: ListReviews(repository: repository, keeper: keeper, fields: fields),
        decideReview: DecideReview(repository: repository, keeper: keeper, clock: clock),
        getDecision: GetDecision(repository: repository, keeper: keeper),
        replayDecision: ReplayDecision(repository: repository, keeper: keeper, fields: fields, bundles: bundles),
        readAuditLog: ReadAuditLog(store: store, keys: testKeyring), idempotency: idempotency, auditOrigins: AuditOrigins(),
        readiness: readiness, metrics: metrics, bodyBytesMax: bodyBytesMax, tokens: tokens,
        authenticate: AuthenticateRequest(
            keys: [testTokenSigner.key], verifier: try! SodiumSignatureVerifier(), directory: testAccess,
            clock: ManualClock(Fixtures.now), issuer: TestTokens.issuer, audience: TestTokens.audience
        ),
        authorize: AuthorizeScope(keeper: keeper), rateLimiter: rateLimiter, hstsMaxAgeSeconds: hstsMaxAgeSeconds
    )
    return Application(router: buildRouter(dependencies))
}

/// The token signer of the test apps, and the clients its tokens name: one per fixture tenant,
/// with the tenant's UUID as its id.
let testTokenSigner = try! SodiumTokenSigner(seed: [UInt8](repeating: 43, count: 32))
let testAccess = InMemoryAccessDirectory(
    seeding: [Fixtures.tenantA, Fixtures.tenantB].map { Tenant(id: $0, name: try! TenantName("Tenant \($0)"), createdAt: Fixtures.now) },
    clients: [Fixtures.tenantA, Fixtures.tenantB].map { TestTokens.client(of: $0) } + [TestTokens.revokedClient, TestTokens.checker]
)

enum TestTokens {
    static let issuer = "custos-test", audience = "custos-test-api"
    /// A client of tenant A, revoked.
    static let revokedClient = APIClient(
        id: ClientID(UUID(uuidString: "0c000000-0000-4000-8000-00000000000c")!), tenant: Fixtures.tenantA, scopes: Scope.allCases, roles: [],
        secretHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", createdAt: Fixtures.now, revokedAt: Fixtures.now
    )

    /// A second client of tenant A: the checker of the maker-checker tests (the maker is tenant A's
    /// first client, whose tokens `jsonHeaders` sends).
    static let checker = APIClient(
        id: ClientID(UUID(uuidString: "0d000000-0000-4000-8000-00000000000d")!), tenant: Fixtures.tenantA, scopes: Scope.allCases, roles: [],
        secretHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", createdAt: Fixtures.now
    )

    static func client(of tenant: TenantID) -> APIClient {
        APIClient(
            id: ClientID(tenant.rawValue), tenant: tenant, scopes: Scope.allCases, roles: [],
            secretHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", createdAt: Fixtures.now
        )
    }

    /// A bearer token of the tenant's client, valid for a day either side of `Fixtures.now`.
    static func token(tenant: TenantID, scopes: [Scope] = Scope.allCases, client: ClientID? = nil) -> String {
        let now = Fixtures.now.microsecondsSinceEpoch / 1_000_000
        let claims = AccessTokenClaims(
            issuer: issuer, subject: client ?? ClientID(tenant.rawValue), audience: audience, issuedAt: now - 86_400,
            notBefore: now - 86_400, expiresAt: now + 86_400, tokenID: UUID().uuidString, tenant: tenant, scopes: scopes, roles: []
        )
        return AccessTokenJWT.sign(claims, with: testTokenSigner)
    }
}

/// A fixed audit root key for tests.
let testKeyring = try! SodiumAuditKeyring(rootKey: [UInt8](repeating: 42, count: 32))

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
}

/// JSON headers with a bearer token of `tenant`'s client (or of `client`) holding `scopes` (none without a tenant).
func jsonHeaders(tenant: TenantID? = Fixtures.tenantA, scopes: [Scope] = Scope.allCases, client: ClientID? = nil) -> HTTPFields {
    var headers: HTTPFields = [.contentType: "application/json"]
    if let tenant { headers[.authorization] = "Bearer " + TestTokens.token(tenant: tenant, scopes: scopes, client: client) }
    return headers
}

/// The decoded body of a response, as a dictionary.
func object(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
}

/// Asserts the RFC 9457 shape and returns the document.
@discardableResult
func expectProblem(_ response: TestResponse, status: HTTPResponse.Status, slug: String) throws -> [String: Any] {
    #expect(response.status == status)
    #expect(response.headers[.contentType] == "application/problem+json")
    let document = try object(response)
    #expect(document["type"] as? String == "urn:custos:problem:\(slug)")
    #expect(document["status"] as? Int == status.code)
    #expect((document["title"] as? String)?.isEmpty == false)
    #expect(document["request_id"] as? String == response.headers[.requestID])
    return document
}
