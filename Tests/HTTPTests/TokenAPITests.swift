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

/// `POST /oauth/token` and `GET /.well-known/jwks.json` over the real router, in-memory adapters.
@Suite struct TokenAPITests {
    struct World {
        let repository: InMemoryTransactionRepository
        let keeper: InMemoryRecordKeeper
        let endpoint: TokenEndpoint
        let client: APIClient
        let secret: ClientSecret
    }

    static func world() async throws -> World {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: SystemClock())
        let hasher = try SodiumSecretHasher(cost: .minimum)
        let context = AuditContext(actor: "operator:test")
        let tenant = try await CreateTenant(keeper: keeper, clock: SystemClock(), newID: { TenantID(UUID()) })(name: "Token Bank", context: context)
        let (client, secret) = try await RegisterClient(
            directory: keeper.access, keeper: keeper, hasher: hasher, clock: SystemClock(), newID: { ClientID(UUID()) }
        )(tenant: tenant.id, scopes: [.transactionsRead, .transactionsWrite], roles: [], context: context)
        let signer = try SodiumTokenSigner(seed: Array(repeating: 5, count: 32))
        let issue = try IssueAccessToken(
            directory: keeper.access, hasher: hasher, signer: signer, keeper: keeper, clock: SystemClock(), issuer: "custos",
            audience: "custos-api", newTokenID: { UUID().uuidString }
        )
        return World(repository: repository, keeper: keeper, endpoint: TokenEndpoint(issue: issue, keys: [signer.key]), client: client, secret: secret)
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let text = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    @Test func basicAuthenticationGetsATokenThatVerifiesAgainstThePublishedKeys() async throws {
        let w = try await Self.world()
        try await makeApp(repository: w.repository, keeper: w.keeper, tokens: w.endpoint).test(.router) { client in
            var headers = Self.formType
            headers[.authorization] = Self.basic(w.client.id.description, w.secret.value)
            let response = try await client.execute(
                uri: "/oauth/token", method: .post, headers: headers, body: Self.form([("grant_type", "client_credentials")])
            )
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let body = try object(response)
            #expect(body["token_type"] as? String == "Bearer" && body["expires_in"] as? Int == 900)
            #expect(body["scope"] as? String == "transactions:read transactions:write")
            let token = try #require(body["access_token"] as? String)

            let jwks = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(jwks.status == .ok && jwks.headers[.contentType] == "application/jwk-set+json")
            let keys = try #require(try object(jwks)["keys"] as? [[String: Any]])
            let x = try #require(keys.first?["x"] as? String)
            #expect(keys.first?["kid"] as? String == w.endpoint.keys[0].keyID && keys.first?["alg"] as? String == "EdDSA")
            let published = TokenVerificationKey(publicKey: try #require(Base64URL.decode(Substring(x))))
            let claims = try AccessTokenJWT.verify(
                token, keys: [published], verifier: try SodiumSignatureVerifier(), issuer: "custos", audience: "custos-api",
                nowSeconds: SystemClock().now().microsecondsSinceEpoch / 1_000_000
            )
            #expect(claims.subject == w.client.id && claims.tenant == w.client.tenant)
        }
    }

    @Test func formFieldsWorkAndAScopeNarrowsTheToken() async throws {
        let w = try await Self.world()
        try await makeApp(repository: w.repository, keeper: w.keeper, tokens: w.endpoint).test(.router) { client in
            let response = try await client.execute(
                uri: "/oauth/token", method: .post, headers: Self.formType,
                body: Self.form([("grant_type", "client_credentials"), ("client_id", w.client.id.description),
                                 ("client_secret", w.secret.value), ("scope", "transactions:read")])
            )
            #expect(response.status == .ok)
            #expect(try object(response)["scope"] as? String == "transactions:read")
        }
    }

    @Test func refusalsFollowRFC6749() async throws {
        let w = try await Self.world()
        try await makeApp(repository: w.repository, keeper: w.keeper, tokens: w.endpoint).test(.router) { client in
            func post(_ headers: HTTPFields, _ body: ByteBuffer) async throws -> (HTTPResponse.Status, String?, TestResponse) {
                let response = try await client.execute(uri: "/oauth/token", method: .post, headers: headers, body: body)
                return (response.status, try object(response)["error"] as? String, response)
            }
            let id = w.client.id.description
            var wrong = Self.formType
            wrong[.authorization] = Self.basic(id, w.secret.value + "x")
            let (status, error, response) = try await post(wrong, Self.form([("grant_type", "client_credentials")]))
            #expect(status == .unauthorized && error == "invalid_client")
            #expect(response.headers[.wwwAuthenticate] == #"Basic realm="custos""#)
            #expect(try await post(Self.formType, Self.form([("grant_type", "client_credentials")])).1 == "invalid_client")
            let good = [("client_id", id), ("client_secret", w.secret.value)]
            #expect(try await post(Self.formType, Self.form([("grant_type", "password")] + good)).1 == "unsupported_grant_type")
            #expect(try await post(Self.formType, Self.form(good)).1 == "invalid_request")
            #expect(try await post(Self.formType, Self.form([("grant_type", "client_credentials"), ("scope", "admin")] + good)).1 == "invalid_scope")
            var both = Self.formType
            both[.authorization] = Self.basic(id, w.secret.value)
            #expect(try await post(both, Self.form([("grant_type", "client_credentials")] + good)) .1 == "invalid_request")
            #expect(try await post([.contentType: "application/json"], ByteBuffer(string: "{}")).1 == "invalid_request")
            #expect(try await post(Self.formType, ByteBuffer(string: "grant_type=client_credentials&grant_type=client_credentials")).1 == "invalid_request")
            #expect(try await post(Self.formType, ByteBuffer(string: String(repeating: "a", count: 5_000))).1 == "invalid_request")
        }
        // Every failed attempt is in a log, none carries the secret.
        let logs = String(decoding: (w.keeper.entries(of: .tenant(w.client.tenant)) + w.keeper.entries(of: .system)).joined(), as: UTF8.self)
        #expect(logs.contains("bad-secret") && logs.contains("scope-not-granted") && !logs.contains(w.secret.value))
    }

    @Test func withoutATokenEndpointTheRoutesAreAbsent() async throws {
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .notFound)
        }
    }
}
