import Foundation

/// A signature algorithm of an external OpenID Connect issuer's keys (RFC 7518 §3.1, RFC 8037).
/// HMAC is never one: a shared secret cannot be published in a JWKS, and accepting it is the
/// classic key-confusion attack.
public enum ExternalAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// RSASSA-PKCS1-v1_5 with SHA-256; keys of 2,048 bits or more.
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256; the signature is r ‖ s, 64 bytes.
    case es256 = "ES256"
    /// Ed25519.
    case edDSA = "EdDSA"
}

/// One public key of an external issuer, from its JWKS (RFC 7517), with the one algorithm it
/// verifies: a token's `alg` must be that algorithm exactly.
public struct ExternalKey: Hashable, Sendable {
    public enum Material: Hashable, Sendable {
        case rsa(modulus: [UInt8], exponent: [UInt8])
        /// The uncompressed point's coordinates, 32 bytes each.
        case p256(x: [UInt8], y: [UInt8])
        case ed25519([UInt8])
    }

    public let keyID: String
    public let algorithm: ExternalAlgorithm
    public let material: Material

    public init(keyID: String, algorithm: ExternalAlgorithm, material: Material) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.material = material
    }
}

/// Checks signatures of external issuers' algorithms (the adapter holds the RSA and ECDSA code).
/// Returns false for a key it cannot use (an RSA key under 2,048 bits, a point off the curve).
public protocol ExternalSignatureVerifier: Sendable {
    func isValidSignature(_ signature: [UInt8], of message: [UInt8], key: ExternalKey) -> Bool
}

/// Why a JWKS file was refused, with the key it is about (by position) when there is one.
public struct JWKSError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// An external OpenID Connect issuer whose access tokens Custos accepts beside its own
/// (docs/api-security.md, "External issuers"): its `iss`, the `aud` its tokens must name, the
/// claim that carries the Custos tenant id, and its published keys.
public struct ExternalIssuer: Sendable {
    public static let keysMax = 32
    public static let jwksBytesMax = 256 * 1_024
    public static let tenantClaimDefault = "tenant_id"

    public let issuer: String
    public let audience: String
    public let tenantClaim: String
    public let keys: [ExternalKey]

    public init(issuer: String, audience: String, tenantClaim: String = ExternalIssuer.tenantClaimDefault, keys: [ExternalKey]) {
        precondition(!issuer.isEmpty && !audience.isEmpty && !tenantClaim.isEmpty, "an issuer, an audience and a tenant claim")
        precondition((1...Self.keysMax).contains(keys.count), "1 to \(Self.keysMax) keys")
        precondition(Set(keys.map(\.keyID)).count == keys.count, "key ids are distinct")
        self.issuer = issuer
        self.audience = audience
        self.tenantClaim = tenantClaim
        self.keys = keys
    }

    /// The signing keys of a JWKS document (RFC 7517 §5). Keys whose `use` is not `sig` are
    /// skipped; every other key must have a distinct `kid` and an algorithm Custos verifies, given
    /// by its `alg` or implied by its type (RSA: RS256, EC P-256: ES256, OKP Ed25519: EdDSA). A
    /// private member (`d`, `p`, `q`, …) refuses the file: it was exported by mistake.
    public static func keys(fromJWKS bytes: [UInt8]) throws(JWKSError) -> [ExternalKey] {
        guard bytes.count <= jwksBytesMax else { throw JWKSError("the JWKS is over \(jwksBytesMax) bytes") }
        guard case .object(let document)? = try? CanonicalJSON.parse(bytes, bytesMax: jwksBytesMax) else {
            throw JWKSError("the JWKS is not a JSON object")
        }
        guard case .array(let entries)? = document["keys"] else { throw JWKSError("the JWKS has no \"keys\" array") }
        var keys: [ExternalKey] = []
        for (position, entry) in entries.enumerated() {
            let at = "keys[\(position)]"
            guard case .object(let jwk) = entry else { throw JWKSError("\(at) is not an object") }
            func text(_ name: String) -> String? {
                if case .string(let value)? = jwk[name] { return value }
                return nil
            }
            func bytes(_ name: String) throws(JWKSError) -> [UInt8] {
                guard let value = text(name), let decoded = Base64URL.decode(Substring(value)), !decoded.isEmpty else {
                    throw JWKSError("\(at).\(name) is not base64url")
                }
                return decoded
            }
            if let use = text("use"), use != "sig" { continue }
            for secret in ["d", "p", "q", "dp", "dq", "qi", "k"] where jwk[secret] != nil {
                throw JWKSError("\(at) holds private or secret key material (\"\(secret)\"): publish public keys only")
            }
            guard let kid = text("kid"), !kid.isEmpty, kid.utf8.count <= 256 else { throw JWKSError("\(at) has no kid") }
            let material: ExternalKey.Material
            let implied: ExternalAlgorithm
            switch (text("kty"), text("crv")) {
            case ("RSA", _):
                material = .rsa(modulus: try bytes("n"), exponent: try bytes("e"))
                implied = .rs256
            case ("EC", "P-256"):
                let x = try bytes("x"), y = try bytes("y")
                guard x.count == 32, y.count == 32 else { throw JWKSError("\(at) is not a P-256 point") }
                material = .p256(x: x, y: y)
                implied = .es256
            case ("OKP", "Ed25519"):
                let x = try bytes("x")
                guard x.count == 32 else { throw JWKSError("\(at) is not an Ed25519 key") }
                material = .ed25519(x)
                implied = .edDSA
            default:
                throw JWKSError("\(at) has a key type Custos does not verify (RSA, EC P-256 and OKP Ed25519 only)")
            }
            if let alg = text("alg"), alg != implied.rawValue {
                throw JWKSError("\(at) names the algorithm \(alg), not \(implied.rawValue)")
            }
            guard !keys.contains(where: { $0.keyID == kid }) else { throw JWKSError("\(at) repeats the kid \(kid)") }
            keys.append(ExternalKey(keyID: kid, algorithm: implied, material: material))
        }
        guard !keys.isEmpty else { throw JWKSError("the JWKS has no signing key") }
        guard keys.count <= keysMax else { throw JWKSError("the JWKS has over \(keysMax) signing keys") }
        return keys
    }
}

/// What Custos takes from an external issuer's verified token.
public struct ExternalClaims: Hashable, Sendable {
    public let subject: String
    public let tenant: TenantID
    public let scopes: [Scope]
    public let tokenID: String
}

/// External issuers' access tokens (JWS compact form), verified as strictly as Custos's own: the
/// `kid` must name a key of the issuer and the `alg` must be that key's one algorithm (so `none`,
/// HMAC and algorithm substitution are refused before any key is used), `crit` is refused, and
/// the signature is checked before the payload is read. Then `iss` must be the issuer, `aud`
/// (one string or an array) must include the audience, `exp` is required, `nbf` and `iat` are
/// honoured when present. The tenant comes from the configured claim; `scope` (space-separated,
/// RFC 8693 §4.2) or `scp` (an array, or a space-separated string) gives the scopes, of which names Custos does not know are ignored
/// (issuers add `openid`, `profile`, …).
public enum ExternalTokenJWT {
    public static func verify(
        _ token: String, issuer: ExternalIssuer, verifier: some ExternalSignatureVerifier, nowSeconds: Int64, leewaySeconds: Int64 = 30
    ) throws(TokenError) -> ExternalClaims {
        try verify(try JWSCompact(token), issuer: issuer, verifier: verifier, nowSeconds: nowSeconds, leewaySeconds: leewaySeconds)
    }

    static func verify(
        _ jws: JWSCompact, issuer: ExternalIssuer, verifier: some ExternalSignatureVerifier, nowSeconds: Int64, leewaySeconds: Int64 = 30
    ) throws(TokenError) -> ExternalClaims {
        let header = jws.header
        guard header["crit"] == nil else { throw .malformed }
        // An ID token is not an access token: a `typ` other than JWT or at+jwt (RFC 9068) is refused.
        if let typ = header["typ"] {
            guard case .string(let text) = typ, ["jwt", "at+jwt", "application/at+jwt"].contains(text.lowercased()) else { throw .malformed }
        }
        guard let kid = jws.keyID, let key = issuer.keys.first(where: { $0.keyID == kid }) else { throw .unknownKey }
        guard case .string(let alg)? = header["alg"], alg == key.algorithm.rawValue else { throw .algorithmNotAllowed }
        guard verifier.isValidSignature(jws.signature, of: jws.signingInput, key: key) else { throw .badSignature }
        let payload = try jws.payload()
        func string(_ name: String) -> String? {
            guard case .string(let value)? = payload[name], !value.isEmpty, value.utf8.count <= AccessTokenClaims.stringBytesMax else { return nil }
            return value
        }
        func seconds(_ name: String) throws(TokenError) -> Int64? {
            guard let value = payload[name] else { return nil }
            guard case .integer(let number) = value, number.value >= 0 else { throw .invalidClaims }
            return number.value
        }
        guard string("iss") == issuer.issuer else { throw .wrongIssuer }
        let audiences: [String] = switch payload["aud"] {
        case .string(let value)?: [value]
        case .array(let values)?: values.compactMap { if case .string(let value) = $0 { value } else { nil } }
        default: []
        }
        guard audiences.contains(issuer.audience) else { throw .wrongAudience }
        guard let expiresAt = try seconds("exp") else { throw .invalidClaims }
        guard nowSeconds < expiresAt &+ leewaySeconds else { throw .expired }
        if let notBefore = try seconds("nbf"), notBefore &- leewaySeconds > nowSeconds { throw .notYetValid }
        if let issuedAt = try seconds("iat"), issuedAt &- leewaySeconds > nowSeconds { throw .notYetValid }
        guard let subject = string("sub"), let tenant = string(issuer.tenantClaim).flatMap(TenantID.init(string:)) else {
            throw .invalidClaims
        }
        var names: [String] = []
        switch payload["scope"] {
        case .string(let text)?: names = text.split(separator: " ").map(String.init)
        case nil:
            // `scp`: an array (Okta), or a space-separated string (Entra ID's delegated scopes).
            switch payload["scp"] {
            case .array(let values)?: names = values.compactMap { if case .string(let value) = $0 { value } else { nil } }
            case .string(let text)?: names = text.split(separator: " ").map(String.init)
            default: break
            }
        default: throw .invalidClaims
        }
        let scopes = Scope.allCases.filter { names.contains($0.rawValue) }
        return ExternalClaims(subject: subject, tenant: tenant, scopes: scopes, tokenID: string("jti") ?? "")
    }

    /// The Custos client id an external subject acts as: a name-based UUID (RFC 9562 version 8)
    /// from SHA-256 over the issuer and the subject, so each subject of each issuer is one
    /// stable client (for maker-checker and the audit log) that can never be a registered one's.
    public static func clientID(issuer: String, subject: String) -> ClientID {
        var digest = SHA256.hash(Array("custos external subject v1\n\(issuer)\n\(subject)".utf8))
        digest[6] = (digest[6] & 0x0F) | 0x80
        digest[8] = (digest[8] & 0x3F) | 0x80
        let uuid = UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                               digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
        return ClientID(uuid)
    }
}
