import Domain
import Foundation
import MemoryAdapters
import SodiumAdapters
import SystemAdapters
import Testing

/// Access tokens: signing with Ed25519 (libsodium) and the verifier's refusals, one test per
/// attack; then the client-credentials grant against the in-memory directory and keeper.
@Suite struct AccessTokenTests {
    static let issuer = "https://custos.example", audience = "custos-api"
    static let now: Int64 = 1_796_000_000

    static func claims(
        issuer: String = issuer, audience: String = audience, notBefore: Int64 = now, expiresAt: Int64 = now + 900
    ) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: issuer, subject: ClientID(UUID()), audience: audience, issuedAt: min(now, notBefore), notBefore: notBefore,
            expiresAt: expiresAt, tokenID: "jti-1", tenant: TenantID(UUID()), scopes: [.transactionsRead], roles: [try! ClientRole("maker")]
        )
    }

    static func signer(_ byte: UInt8 = 7) throws -> SodiumTokenSigner { try SodiumTokenSigner(seed: Array(repeating: byte, count: 32)) }

    static func verify(_ token: String, keys: [TokenVerificationKey], now: Int64 = now) throws(TokenError) -> AccessTokenClaims {
        try AccessTokenJWT.verify(
            token, keys: keys, verifier: try! SodiumSignatureVerifier(), issuer: issuer, audience: audience, nowSeconds: now
        )
    }

    /// A token with `header` and `payload` (JSON text) and `signature`, as an attacker writes it.
    static func forged(header: String, payload: String, signature: [UInt8]) -> String {
        Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "." + Base64URL.encode(signature)
    }

    @Test func aSignedTokenVerifiesToItsClaims() throws {
        let signer = try Self.signer()
        let claims = Self.claims()
        let token = AccessTokenJWT.sign(claims, with: signer)
        #expect(try Self.verify(token, keys: [signer.key]) == claims)
        let header = try #require(Base64URL.decode(token.split(separator: ".")[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"EdDSA","kid":"\#(signer.key.keyID)","typ":"at+jwt"}"#)
    }

    @Test func theKeyIDIsTheRFC7638Thumbprint() throws {
        // RFC 8037 appendix A.3: the thumbprint of the example key.
        let x = try #require(Base64URL.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"))
        #expect(TokenVerificationKey(publicKey: x).keyID == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    @Test func algorithmNoneIsRefused() throws {
        let signer = try Self.signer()
        let payload = String(decoding: Base64URL.decode(AccessTokenJWT.sign(Self.claims(), with: signer).split(separator: ".")[1])!, as: UTF8.self)
        let none = Self.forged(header: #"{"alg":"none","kid":"\#(signer.key.keyID)"}"#, payload: payload, signature: [])
        #expect(throws: TokenError.algorithmNotAllowed) { try Self.verify(none, keys: [signer.key]) }
        let noAlg = Self.forged(header: #"{"kid":"\#(signer.key.keyID)"}"#, payload: payload, signature: [])
        #expect(throws: TokenError.algorithmNotAllowed) { try Self.verify(noAlg, keys: [signer.key]) }
    }

    @Test func hmacWithThePublicKeyAsSecretIsRefused() throws {
        let signer = try Self.signer()
        let payload = String(decoding: Base64URL.decode(AccessTokenJWT.sign(Self.claims(), with: signer).split(separator: ".")[1])!, as: UTF8.self)
        for alg in ["HS256", "HS512", "RS256", "ES256", "eddsa", "Ed25519"] {
            let token = Self.forged(header: #"{"alg":"\#(alg)","kid":"\#(signer.key.keyID)"}"#, payload: payload, signature: signer.key.publicKey)
            #expect(throws: TokenError.algorithmNotAllowed) { try Self.verify(token, keys: [signer.key]) }
        }
    }

    @Test func anUnknownKeyIDAndAnotherKeysSignatureAreRefused() throws {
        let signer = try Self.signer(), other = try Self.signer(9)
        let token = AccessTokenJWT.sign(Self.claims(), with: other)
        #expect(throws: TokenError.unknownKey) { try Self.verify(token, keys: [signer.key]) }
        // Another key's signature under this key's id.
        let parts = token.split(separator: ".")
        let header = Base64URL.encode(Array(#"{"alg":"EdDSA","kid":"\#(signer.key.keyID)","typ":"at+jwt"}"#.utf8))
        let signingInput = header + "." + parts[1]
        let relabelled = signingInput + "." + Base64URL.encode(other.sign(Array(signingInput.utf8)))
        #expect(throws: TokenError.badSignature) { try Self.verify(relabelled, keys: [signer.key]) }
        // Both keys published (a rotation's overlap): each verifies its own tokens.
        #expect(try Self.verify(token, keys: [signer.key, other.key]).tokenID == "jti-1")
    }

    @Test func aTamperedPayloadOrSignatureIsRefused() throws {
        let signer = try Self.signer()
        let token = AccessTokenJWT.sign(Self.claims(), with: signer)
        let parts = token.split(separator: ".").map(String.init)
        var payload = String(decoding: Base64URL.decode(Substring(parts[1]))!, as: UTF8.self)
        payload = payload.replacingOccurrences(of: "transactions:read", with: "transactions:write")
        let widened = parts[0] + "." + Base64URL.encode(Array(payload.utf8)) + "." + parts[2]
        #expect(throws: TokenError.badSignature) { try Self.verify(widened, keys: [signer.key]) }
        var signature = Base64URL.decode(Substring(parts[2]))!
        signature[0] ^= 1
        #expect(throws: TokenError.badSignature) { try Self.verify(parts[0] + "." + parts[1] + "." + Base64URL.encode(signature), keys: [signer.key]) }
    }

    @Test func wrongIssuerOrAudienceIsRefused() throws {
        let signer = try Self.signer()
        #expect(throws: TokenError.wrongIssuer) { try Self.verify(AccessTokenJWT.sign(Self.claims(issuer: "https://evil.example"), with: signer), keys: [signer.key]) }
        #expect(throws: TokenError.wrongAudience) { try Self.verify(AccessTokenJWT.sign(Self.claims(audience: "other-api"), with: signer), keys: [signer.key]) }
    }

    @Test func expiredAndNotYetValidTokensAreRefusedBeyondTheLeeway() throws {
        let signer = try Self.signer()
        let token = AccessTokenJWT.sign(Self.claims(), with: signer)
        #expect(try Self.verify(token, keys: [signer.key], now: Self.now + 900 + 29).tokenID == "jti-1")  // within 30 s of skew
        #expect(throws: TokenError.expired) { try Self.verify(token, keys: [signer.key], now: Self.now + 900 + 30) }
        #expect(throws: TokenError.notYetValid) { try Self.verify(token, keys: [signer.key], now: Self.now - 31) }
        let future = AccessTokenJWT.sign(Self.claims(notBefore: Self.now + 600, expiresAt: Self.now + 1_200), with: signer)
        #expect(throws: TokenError.notYetValid) { try Self.verify(future, keys: [signer.key]) }
    }

    @Test func malformedTokensAreRefusedWithoutReadingFurther() throws {
        let signer = try Self.signer()
        let token = AccessTokenJWT.sign(Self.claims(), with: signer)
        let parts = token.split(separator: ".").map(String.init)
        for bad in ["", "a.b", "a.b.c.d", token + ".", parts[0] + "=." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + ". " + parts[2],
                    Self.forged(header: "[1]", payload: "{}", signature: [1]),
                    Self.forged(header: #"{"alg":"EdDSA","alg":"none","kid":"k"}"#, payload: "{}", signature: [1])] {
            #expect(throws: TokenError.self) { try Self.verify(bad, keys: [signer.key]) }
        }
        let critical = Self.forged(header: #"{"alg":"EdDSA","crit":["exp"],"kid":"\#(signer.key.keyID)"}"#, payload: "{}", signature: [1])
        #expect(throws: TokenError.malformed) { try Self.verify(critical, keys: [signer.key]) }
        #expect(throws: TokenError.tooLong) { try Self.verify(String(repeating: "a", count: AccessTokenJWT.tokenBytesMax + 1), keys: [signer.key]) }
        // A validly signed payload that lacks a claim.
        let header = Base64URL.encode(Array(#"{"alg":"EdDSA","kid":"\#(signer.key.keyID)"}"#.utf8))
        let input = header + "." + Base64URL.encode(Array(#"{"iss":"\#(Self.issuer)","aud":"\#(Self.audience)"}"#.utf8))
        #expect(throws: TokenError.invalidClaims) { try Self.verify(input + "." + Base64URL.encode(signer.sign(Array(input.utf8))), keys: [signer.key]) }
    }

    @Test func base64URLIsStrict() {
        #expect(Base64URL.decode("AQ") == [1])
        #expect(Base64URL.decode("AR") == nil)  // non-zero unused bits
        #expect(Base64URL.decode("AQ==") == nil)
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("+/") == nil)
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
    }

    @Test func theKeyringDerivesStableTokenKeysPerVersion() throws {
        let keyring = try SodiumAuditKeyring(rootKey: Array(repeating: 3, count: 32))
        let v1 = try keyring.tokenSigner(version: 1), again = try keyring.tokenSigner(version: 1), v2 = try keyring.tokenSigner(version: 2)
        #expect(v1.key == again.key && v1.key != v2.key)
        // Not the key of any audit log at the same version: the derivations are separated.
        let logKey = try keyring.signer(origin: "custos.localhost/audit/system", version: 1).verifierKey.publicKey
        #expect(v1.key.publicKey != logKey)
    }

    // MARK: The client-credentials grant

    struct Grant {
        let keeper: InMemoryRecordKeeper
        let issue: IssueAccessToken
        let client: APIClient
        let secret: ClientSecret
        let signer: SodiumTokenSigner
    }

    static func grant(scopes: [Scope] = [.transactionsRead, .transactionsWrite]) async throws -> Grant {
        let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: SystemClock())
        let hasher = try SodiumSecretHasher(cost: .minimum)
        let tenant = try await CreateTenant(keeper: keeper, clock: SystemClock(), newID: { TenantID(UUID()) })(name: "Grant Bank", context: .init(actor: "t"))
        let (client, secret) = try await RegisterClient(
            directory: keeper.access, keeper: keeper, hasher: hasher, clock: SystemClock(), newID: { ClientID(UUID()) }
        )(tenant: tenant.id, scopes: scopes, roles: [], context: .init(actor: "t"))
        let signer = try Self.signer()
        let issue = try IssueAccessToken(
            directory: keeper.access, hasher: hasher, signer: signer, keeper: keeper, clock: SystemClock(), issuer: issuer,
            audience: audience, newTokenID: { UUID().uuidString }
        )
        return Grant(keeper: keeper, issue: issue, client: client, secret: secret, signer: signer)
    }

    @Test func theGrantIssuesAVerifiableTokenForTheClientsTenantAndAuditsIt() async throws {
        let g = try await Self.grant()
        let issued = try await g.issue(clientID: g.client.id.description, secret: g.secret.value, scope: nil, context: .init(actor: "anon"))
        #expect(issued.expiresInSeconds == 900)
        let claims = try AccessTokenJWT.verify(
            issued.token, keys: [g.signer.key], verifier: try SodiumSignatureVerifier(), issuer: Self.issuer, audience: Self.audience,
            nowSeconds: SystemClock().now().microsecondsSinceEpoch / 1_000_000
        )
        #expect(claims.subject == g.client.id && claims.tenant == g.client.tenant && claims.scopes == g.client.scopes)
        let narrowed = try await g.issue(clientID: g.client.id.description, secret: g.secret.value, scope: "transactions:read", context: .init(actor: "anon"))
        #expect(narrowed.claims.scopes == [.transactionsRead])
        let log = String(decoding: g.keeper.entries(of: .tenant(g.client.tenant)).joined(), as: UTF8.self)
        #expect(log.components(separatedBy: "auth.token_issued").count - 1 == 2)
        #expect(!log.contains(g.secret.value) && !log.contains(issued.token))
    }

    @Test func aWrongSecretAnUnknownOrRevokedClientOrAnUngrantedScopeIsRefusedAndAudited() async throws {
        let g = try await Self.grant(scopes: [.transactionsRead])
        let context = AuditContext(actor: "anon")
        await #expect(throws: TokenRequestError.invalidClient) {
            try await g.issue(clientID: g.client.id.description, secret: g.secret.value + "x", scope: nil, context: context)
        }
        await #expect(throws: TokenRequestError.invalidClient) {
            try await g.issue(clientID: UUID().uuidString, secret: g.secret.value, scope: nil, context: context)
        }
        await #expect(throws: TokenRequestError.invalidClient) { try await g.issue(clientID: "not-a-uuid", secret: "", scope: nil, context: context) }
        await #expect(throws: TokenRequestError.invalidScope) {
            try await g.issue(clientID: g.client.id.description, secret: g.secret.value, scope: "transactions:write", context: context)
        }
        _ = try await RevokeClient(directory: g.keeper.access, keeper: g.keeper, clock: SystemClock())(g.client.id, context: context)
        await #expect(throws: TokenRequestError.invalidClient) {
            try await g.issue(clientID: g.client.id.description, secret: g.secret.value, scope: nil, context: context)
        }
        let tenantLog = String(decoding: g.keeper.entries(of: .tenant(g.client.tenant)).joined(), as: UTF8.self)
        let systemLog = String(decoding: g.keeper.entries(of: .system).joined(), as: UTF8.self)
        for reason in ["bad-secret", "scope-not-granted", "revoked"] { #expect(tenantLog.contains(reason)) }
        #expect(systemLog.components(separatedBy: "auth.client_authentication_failed").count - 1 == 2)  // unknown and unparseable
        #expect(!tenantLog.contains(g.secret.value) && !systemLog.contains(g.secret.value))
    }
}
