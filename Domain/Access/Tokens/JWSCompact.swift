/// A JWS in compact serialisation (RFC 7515 §7.1), split and decoded but not verified: what both
/// token verifiers (`AccessTokenJWT`, `ExternalTokenJWT`) start from, parsed once per request.
/// At most `AccessTokenJWT.tokenBytesMax` bytes (`tooLong`); three base64url parts whose header is
/// a strictly parsed JSON object (`malformed`). The payload is parsed only on demand, after the
/// signature has been checked.
struct JWSCompact {
    let header: CanonicalJSON.Object
    /// The first two parts, as the signature covers them.
    let signingInput: [UInt8]
    let signature: [UInt8]
    private let payloadBytes: [UInt8]

    init(_ token: String) throws(TokenError) {
        guard token.utf8.count <= AccessTokenJWT.tokenBytesMax else { throw .tooLong }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              case .object(let header)? = try? CanonicalJSON.parse(headerBytes, bytesMax: AccessTokenJWT.tokenBytesMax)
        else { throw .malformed }
        self.header = header
        self.signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        self.signature = signature
        self.payloadBytes = payloadBytes
    }

    /// The header's `kid`, if it has a string one.
    var keyID: String? {
        if case .string(let kid)? = header["kid"] { return kid }
        return nil
    }

    /// The claims: call only once the signature verified.
    func payload() throws(TokenError) -> CanonicalJSON.Object {
        guard case .object(let payload)? = try? CanonicalJSON.parse(payloadBytes, bytesMax: AccessTokenJWT.tokenBytesMax) else { throw .malformed }
        return payload
    }
}
