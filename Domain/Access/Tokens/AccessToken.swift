/// The claims of an access token Custos issues (RFC 9068, JWT profile for OAuth 2.0 access
/// tokens): registered claims, and the tenant, scopes and roles of the client.
public struct AccessTokenClaims: Hashable, Sendable {
    public let issuer: String
    public let subject: ClientID
    public let audience: String
    /// Unix seconds.
    public let issuedAt: Int64
    public let notBefore: Int64
    public let expiresAt: Int64
    /// `jti`: unique per token.
    public let tokenID: String
    public let tenant: TenantID
    public let scopes: [Scope]
    public let roles: [ClientRole]

    /// Claims longer than this (issuer, audience, jti) are refused when verifying.
    public static let stringBytesMax = 256

    public init(
        issuer: String, subject: ClientID, audience: String, issuedAt: Int64, notBefore: Int64, expiresAt: Int64, tokenID: String,
        tenant: TenantID, scopes: [Scope], roles: [ClientRole]
    ) {
        precondition(notBefore <= expiresAt && issuedAt <= expiresAt, "a token expires after it is issued and valid")
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.tokenID = tokenID
        self.tenant = tenant
        self.scopes = Array(Set(scopes)).sorted()
        self.roles = Array(Set(roles)).sorted()
    }

    var json: CanonicalJSON {
        .object(.init([
            "iss": .string(issuer), "sub": .string(subject.description), "aud": .string(audience),
            "iat": CanonicalJSON(exactly: issuedAt) ?? .null, "nbf": CanonicalJSON(exactly: notBefore) ?? .null,
            "exp": CanonicalJSON(exactly: expiresAt) ?? .null, "jti": .string(tokenID),
            "tenant_id": .string(tenant.description), "scope": .string(scopes.map(\.rawValue).joined(separator: " ")),
            "roles": .array(roles.map { .string($0.value) }),
        ]))
    }
}

/// An Ed25519 public key that verifies tokens, named by its RFC 7638 JWK thumbprint (`kid`).
public struct TokenVerificationKey: Hashable, Sendable {
    public let publicKey: [UInt8]
    public let keyID: String

    public init(publicKey: [UInt8]) {
        precondition(publicKey.count == 32, "an Ed25519 public key is 32 bytes")
        self.publicKey = publicKey
        // RFC 7638 §3 with RFC 8037 §2: the required members of an OKP key, in lexical order,
        // without whitespace: exactly what RFC 8785 canonical JSON gives.
        let required: CanonicalJSON = .object(.init(["crv": "Ed25519", "kty": "OKP", "x": .string(Base64URL.encode(publicKey))]))
        self.keyID = Base64URL.encode(SHA256.hash(required.canonicalBytes))
    }

    /// The key as a JWK for `/.well-known/jwks.json` (RFC 8037).
    public var jwk: CanonicalJSON {
        .object(.init([
            "kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(publicKey)), "kid": .string(keyID), "alg": "EdDSA", "use": "sig",
        ]))
    }
}

/// Port: signs tokens with one Ed25519 key, whose public half is `key`.
public protocol TokenSigner: Sendable {
    var key: TokenVerificationKey { get }
    func sign(_ message: [UInt8]) -> [UInt8]
}

/// Why a token was refused. Every case is a 401 to the caller, who is told only that the token
/// is invalid (the `reason` is for the audit log and the server's log, never a token's content).
public enum TokenError: DomainError, Equatable, CustomStringConvertible {
    case tooLong
    case malformed
    case algorithmNotAllowed
    case unknownKey
    case badSignature
    case wrongIssuer
    case wrongAudience
    case expired
    case notYetValid
    case invalidClaims
    /// Valid, but its client is revoked or gone.
    case clientRevoked

    public var slug: String { "invalid-token" }

    public var reason: String {
        switch self {
        case .tooLong: "too-long"
        case .malformed: "malformed"
        case .algorithmNotAllowed: "algorithm-not-allowed"
        case .unknownKey: "unknown-key"
        case .badSignature: "bad-signature"
        case .wrongIssuer: "wrong-issuer"
        case .wrongAudience: "wrong-audience"
        case .expired: "expired"
        case .notYetValid: "not-yet-valid"
        case .invalidClaims: "invalid-claims"
        case .clientRevoked: "client-revoked"
        }
    }

    public var description: String { "invalid token (\(reason))" }
}
