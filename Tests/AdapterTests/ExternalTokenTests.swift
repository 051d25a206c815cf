import Crypto
import Domain
import Foundation
import MemoryAdapters
import CryptoAdapters
import SodiumAdapters
import TestSupport
import Testing
import _CryptoExtras

/// Tokens of an external OpenID Connect issuer: its JWKS, RS256, ES256 and EdDSA signatures made
/// here with swift-crypto as an issuer would, and the attacks of the token suite.
@Suite struct ExternalTokenTests {
    static let issuerName = "https://idp.example.test/realms/bank"
    static let audience = "custos-api"
    static let now: Int64 = 1_800_000_000
    static let p256 = P256.Signing.PrivateKey()
    static let ed25519 = Curve25519.Signing.PrivateKey()
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func jwk(_ fields: [String: CanonicalJSON]) -> CanonicalJSON { .object(.init(fields)) }

    static var jwks: [UInt8] {
        let primitives = try! rsa.publicKey.getKeyPrimitives()
        let (n, e) = (Array(primitives.modulus), Array(primitives.publicExponent))
        let point = Array(p256.publicKey.rawRepresentation)
        let document: CanonicalJSON = ["keys": .array([
            jwk(["kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": .string(Base64URL.encode(n)), "e": .string(Base64URL.encode(e))]),
            jwk(["kty": "EC", "crv": "P-256", "kid": "ec-1", "x": .string(Base64URL.encode(point.prefix(32))), "y": .string(Base64URL.encode(point.suffix(32)))]),
            jwk(["kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": .string(Base64URL.encode(ed25519.publicKey.rawRepresentation))]),
            // An encryption key: skipped.
            jwk(["kty": "RSA", "kid": "enc-1", "use": "enc", "n": .string(Base64URL.encode(n)), "e": .string(Base64URL.encode(e))]),
        ])]
        return document.canonicalBytes
    }

    static let keys = try! ExternalIssuer.keys(fromJWKS: jwks)
    static let issuer = ExternalIssuer(issuer: issuerName, audience: audience, keys: keys)
    static let verifier = try! SwiftCryptoExternalVerifier(keys: keys)

    static func claims(_ overrides: [String: CanonicalJSON?] = [:]) -> CanonicalJSON {
        var fields: [String: CanonicalJSON] = [
            "iss": .string(issuerName), "aud": .array([.string(audience), "account"]), "sub": "f3b1c2d4-user-42",
            "exp": CanonicalJSON(exactly: now + 300)!, "iat": CanonicalJSON(exactly: now)!, "nbf": CanonicalJSON(exactly: now)!,
            "tenant_id": .string(Fixtures.tenantA.description), "scope": "openid profile transactions:read reviews:decide", "jti": "j-1",
        ]
        for (name, value) in overrides { fields[name] = value }
        return .object(.init(fields))
    }

    static func token(alg: String, kid: String, claims: CanonicalJSON = claims(), header extra: [String: CanonicalJSON] = [:]) -> String {
        var header: [String: CanonicalJSON] = ["alg": .string(alg), "kid": .string(kid), "typ": "JWT"]
        for (name, value) in extra { header[name] = value }
        let input = Base64URL.encode(CanonicalJSON.object(.init(header)).canonicalBytes) + "." + Base64URL.encode(claims.canonicalBytes)
        let message = Data(input.utf8)
        let signature: [UInt8] = switch alg {
        case "RS256": Array(try! rsa.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation)
        case "ES256": Array(try! p256.signature(for: message).rawRepresentation)
        case "EdDSA": Array(try! ed25519.signature(for: message))
        case "HS256": Array(HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: rsa.publicKey.pkcs1DERRepresentation)))
        default: []
        }
        return input + "." + Base64URL.encode(signature)
    }

    func verify(_ token: String) throws(TokenError) -> ExternalClaims {
        try ExternalTokenJWT.verify(token, issuer: Self.issuer, verifier: Self.verifier, nowSeconds: Self.now)
    }

    @Test func theJWKSYieldsItsSigningKeysWithTheirAlgorithms() {
        #expect(Self.keys.map(\.keyID) == ["rsa-1", "ec-1", "ed-1"])
        #expect(Self.keys.map(\.algorithm) == [.rs256, .es256, .edDSA])
    }

    @Test(arguments: [("RS256", "rsa-1"), ("ES256", "ec-1"), ("EdDSA", "ed-1")])
    func eachAlgorithmVerifies(_ alg: String, _ kid: String) throws {
        let claims = try verify(Self.token(alg: alg, kid: kid))
        #expect(claims.tenant == Fixtures.tenantA && claims.subject == "f3b1c2d4-user-42")
        #expect(claims.scopes == [.transactionsRead, .reviewsDecide], "unknown scope names are ignored")
    }

    @Test func attacksAreRefusedWithTheirReason() {
        let good = Self.token(alg: "ES256", kid: "ec-1")
        let parts = good.split(separator: ".").map(String.init)
        let cases: [(String, TokenError)] = [
            // alg none, HMAC with the RSA public key as its secret, and a key used under another algorithm.
            (Base64URL.encode(Array(#"{"alg":"none","kid":"ec-1"}"#.utf8)) + "." + parts[1] + ".", .algorithmNotAllowed),
            (Self.token(alg: "HS256", kid: "rsa-1"), .algorithmNotAllowed),
            (Self.token(alg: "ES256", kid: "rsa-1"), .algorithmNotAllowed),
            (Self.token(alg: "ES256", kid: "unknown"), .unknownKey),
            (Self.token(alg: "ES256", kid: "enc-1"), .unknownKey),
            (parts[0] + "." + Base64URL.encode(Self.claims(["sub": "someone-else"]).canonicalBytes) + "." + parts[2], .badSignature),
            (parts[0] + "." + parts[1] + "." + Base64URL.encode(Array(repeating: 0, count: 64)), .badSignature),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["iss": "https://evil.example"])), .wrongIssuer),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["aud": "another-api"])), .wrongAudience),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["exp": CanonicalJSON(exactly: Self.now - 60)!])), .expired),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["exp": nil])), .invalidClaims),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["nbf": CanonicalJSON(exactly: Self.now + 600)!])), .notYetValid),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["tenant_id": nil])), .invalidClaims),
            (Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["tenant_id": "not-a-uuid"])), .invalidClaims),
            (Self.token(alg: "ES256", kid: "ec-1", header: ["crit": .array(["exp"])]), .malformed),
            (Self.token(alg: "ES256", kid: "ec-1", header: ["typ": "logout+jwt"]), .malformed),
            ("not.a.token", .malformed),
        ]
        for (token, expected) in cases {
            #expect(throws: expected) { _ = try verify(token) }
        }
    }

    @Test func scopesMayComeAsAnScpArray() throws {
        let claims = try verify(Self.token(alg: "EdDSA", kid: "ed-1", claims: Self.claims(["scope": nil, "scp": .array(["transactions:write", "email"])])))
        #expect(claims.scopes == [.transactionsWrite])
        let entra = try verify(Self.token(alg: "EdDSA", kid: "ed-1", claims: Self.claims(["scope": nil, "scp": "audit:read User.Read"])))
        #expect(entra.scopes == [.auditRead])
        let typed = try verify(Self.token(alg: "EdDSA", kid: "ed-1", header: ["typ": "at+jwt"]))
        #expect(typed.subject == "f3b1c2d4-user-42")
    }

    @Test(arguments: [
        (#"{"keys":[]}"#, "no signing key"),
        (#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#, "private or secret"),
        (#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"AA","y":"AA","d":"AA"}]}"#, "private or secret"),
        (#"{"keys":[{"kty":"oct","kid":"h"}]}"#, "key type"),
        (#"{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"AA","y":"AA"}]}"#, "key type"),
        (#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#, "no kid"),
        (#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","alg":"HS256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#, "names the algorithm"),
        (#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#, "repeats"),
        (#"[1]"#, "not a JSON object"),
    ])
    func badJWKSFilesAreRefusedWithAReason(_ text: String, _ reason: String) {
        let error = #expect(throws: JWKSError.self) { _ = try ExternalIssuer.keys(fromJWKS: Array(text.utf8)) }
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
    }

    @Test func aShortRSAKeyIsRefusedWhenTheVerifierIsMade() throws {
        let short = ExternalKey(keyID: "short", algorithm: .rs256, material: .rsa(modulus: Array(repeating: 0xC3, count: 128), exponent: [1, 0, 1]))
        #expect(throws: SwiftCryptoExternalVerifier.UnusableKey.self) { _ = try SwiftCryptoExternalVerifier(keys: [short]) }
    }

    @Test func anExternalSubjectActsAsAStableClientOfAnExistingTenant() async throws {
        let directory = InMemoryAccessDirectory(
            seeding: [Tenant(id: Fixtures.tenantA, name: try TenantName("Bank A"), createdAt: Fixtures.now)], clients: []
        )
        let own = try SodiumTokenSigner(seed: [UInt8](repeating: 5, count: 32))
        let clock = ManualClock(UTCTimestamp(microsecondsSinceEpoch: Self.now * 1_000_000))
        let authenticate = AuthenticateRequest(
            keys: [own.key], verifier: try SodiumSignatureVerifier(), directory: directory, clock: clock,
            issuer: "custos", audience: "custos-api", external: Self.issuer, externalVerifier: Self.verifier
        )
        let principal = try await authenticate(bearer: Self.token(alg: "RS256", kid: "rsa-1"))
        #expect(principal.tenant == Fixtures.tenantA && principal.externalIssuer == Self.issuerName)
        #expect(principal.client == ExternalTokenJWT.clientID(issuer: Self.issuerName, subject: "f3b1c2d4-user-42"))
        #expect(principal.client.rawValue.uuidString.lowercased().dropFirst(14).first == "8", "a version-8 UUID: never a registered client's")
        #expect(principal.auditContext(sourceAddress: nil, requestID: nil).actor.hasPrefix("external:"))
        // Another subject is another client; a tenant the directory does not know is refused.
        #expect(try await authenticate(bearer: Self.token(alg: "RS256", kid: "rsa-1", claims: Self.claims(["sub": "other"]))).client != principal.client)
        await #expect(throws: TokenError.clientRevoked) {
            _ = try await authenticate(bearer: Self.token(alg: "ES256", kid: "ec-1", claims: Self.claims(["tenant_id": .string(Fixtures.tenantB.description)])))
        }
        // An external token cannot pass for one of Custos's own by naming its key id.
        await #expect(throws: TokenError.algorithmNotAllowed) {
            _ = try await authenticate(bearer: Self.token(alg: "ES256", kid: own.key.keyID))
        }
    }
}
