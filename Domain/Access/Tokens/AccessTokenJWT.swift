import Foundation

/// Access tokens as JWTs (RFC 7519) in JWS compact form (RFC 7515), signed with Ed25519
/// (`EdDSA`, RFC 8037) and typed `at+jwt` (RFC 9068 §2.1).
///
/// Verification pins everything the issuer chose instead of trusting the header: the algorithm
/// must be exactly `EdDSA` (so `none`, HMAC with the public key as its secret and every other
/// algorithm are refused before any key is used), the `kid` must name one of the given keys,
/// `crit` is refused, and the signature is checked before the payload is read. Then `iss` and
/// `aud` must be the expected ones and `nbf <= now < exp`, with `leewaySeconds` of clock skew.
/// Headers and payloads are parsed strictly (duplicate member names are refused).
public enum AccessTokenJWT {
    public static let algorithm = "EdDSA"
    public static let type = "at+jwt"
    /// The longest token accepted, in bytes.
    public static let tokenBytesMax = 8_192

    public static func sign(_ claims: AccessTokenClaims, with signer: some TokenSigner) -> String {
        let header: CanonicalJSON = .object(.init(["alg": .string(algorithm), "kid": .string(signer.key.keyID), "typ": .string(type)]))
        let signingInput = Base64URL.encode(header.canonicalBytes) + "." + Base64URL.encode(claims.json.canonicalBytes)
        let token = signingInput + "." + Base64URL.encode(signer.sign(Array(signingInput.utf8)))
        precondition(token.utf8.count <= tokenBytesMax, "an issued token fits the limit")
        return token
    }

    public static func verify(
        _ token: String, keys: [TokenVerificationKey], verifier: some SignatureVerifier, issuer: String, audience: String,
        nowSeconds: Int64, leewaySeconds: Int64 = 30
    ) throws(TokenError) -> AccessTokenClaims {
        try verify(try JWSCompact(token), keys: keys, verifier: verifier, issuer: issuer, audience: audience,
                   nowSeconds: nowSeconds, leewaySeconds: leewaySeconds)
    }

    static func verify(
        _ jws: JWSCompact, keys: [TokenVerificationKey], verifier: some SignatureVerifier, issuer: String, audience: String,
        nowSeconds: Int64, leewaySeconds: Int64 = 30
    ) throws(TokenError) -> AccessTokenClaims {
        let header = jws.header
        guard case .string(let alg)? = header["alg"], alg == algorithm else { throw .algorithmNotAllowed }
        guard header["crit"] == nil, header["typ"].map({ $0 == .string(type) }) ?? true else { throw .malformed }
        guard let kid = jws.keyID, let key = keys.first(where: { $0.keyID == kid }) else { throw .unknownKey }
        guard verifier.isValidEd25519Signature(jws.signature, of: jws.signingInput, publicKey: key.publicKey) else { throw .badSignature }
        let claims = try Self.claims(try jws.payload())
        guard claims.issuer == issuer else { throw .wrongIssuer }
        guard claims.audience == audience else { throw .wrongAudience }
        guard nowSeconds < claims.expiresAt &+ leewaySeconds else { throw .expired }
        guard claims.notBefore &- leewaySeconds <= nowSeconds else { throw .notYetValid }
        return claims
    }

    private static func claims(_ payload: CanonicalJSON.Object) throws(TokenError) -> AccessTokenClaims {
        func string(_ name: String) throws(TokenError) -> String {
            guard case .string(let value)? = payload[name], !value.isEmpty, value.utf8.count <= AccessTokenClaims.stringBytesMax else {
                throw .invalidClaims
            }
            return value
        }
        func seconds(_ name: String) throws(TokenError) -> Int64 {
            guard case .integer(let value)? = payload[name], value.value >= 0 else { throw .invalidClaims }
            return value.value
        }
        // `aud` may be one string or an array of strings (RFC 7519 §4.1.3); ours is one.
        let audience: String
        switch payload["aud"] {
        case .string(let value)?: audience = value
        case .array(let values)? where values.count == 1: guard case .string(let value) = values[0] else { throw .invalidClaims }; audience = value
        default: throw .invalidClaims
        }
        guard let subject = ClientID(string: try string("sub")), let tenant = TenantID(string: try string("tenant_id")) else {
            throw .invalidClaims
        }
        var scopes: [Scope] = []
        for name in try string("scope").split(separator: " ", omittingEmptySubsequences: false) {
            guard let scope = Scope(rawValue: String(name)) else { throw .invalidClaims }
            scopes.append(scope)
        }
        var roles: [ClientRole] = []
        if let value = payload["roles"] {
            guard case .array(let names) = value, names.count <= APIClient.rolesMax else { throw .invalidClaims }
            for name in names {
                guard case .string(let text) = name, let role = try? ClientRole(text) else { throw .invalidClaims }
                roles.append(role)
            }
        }
        let issuedAt = try seconds("iat"), notBefore = try seconds("nbf"), expiresAt = try seconds("exp")
        guard notBefore <= expiresAt, issuedAt <= expiresAt else { throw .invalidClaims }
        return AccessTokenClaims(
            issuer: try string("iss"), subject: subject, audience: audience, issuedAt: issuedAt, notBefore: notBefore,
            expiresAt: expiresAt, tokenID: try string("jti"), tenant: tenant, scopes: scopes, roles: roles
        )
    }
}
