/// The OAuth 2.0 client-credentials grant (RFC 6749 §4.4): authenticates a client by its id and
/// secret and issues a short-lived access token for its tenant, with the scopes it asked for
/// (all of its scopes when it asked for none).
///
/// Every attempt is audited: `auth.token_issued` in the tenant's log, or
/// `auth.client_authentication_failed` (in the tenant's log when the client exists, else in
/// the system log), naming the client but never the secret. An unknown client costs the same
/// hash verification as a known one, so that timing does not tell which ids exist.
public struct IssueAccessToken: Sendable {
    public static let lifetimeSecondsDefault: Int64 = 900
    public static let lifetimeSecondsMax: Int64 = 3_600

    private let directory: any AccessDirectory
    private let hasher: any SecretHasher
    private let signer: any TokenSigner
    private let keeper: any RecordKeeper
    private let clock: any Clock
    private let issuer: String
    private let audience: String
    private let lifetimeSeconds: Int64
    private let newTokenID: @Sendable () -> String
    /// Verified against when the client is unknown.
    private let decoyHash: String

    public init(
        directory: any AccessDirectory, hasher: any SecretHasher, signer: any TokenSigner, keeper: any RecordKeeper, clock: any Clock,
        issuer: String, audience: String, lifetimeSeconds: Int64 = Self.lifetimeSecondsDefault, newTokenID: @escaping @Sendable () -> String
    ) throws {
        precondition((60...Self.lifetimeSecondsMax).contains(lifetimeSeconds), "a token lives 1 to 60 minutes")
        self.directory = directory
        self.hasher = hasher
        self.signer = signer
        self.keeper = keeper
        self.clock = clock
        self.issuer = issuer
        self.audience = audience
        self.lifetimeSeconds = lifetimeSeconds
        self.newTokenID = newTokenID
        self.decoyHash = try hasher.hash(ClientSecret.generate().value)
    }

    public struct Issued: Sendable {
        public let token: String
        public let claims: AccessTokenClaims
        public var expiresInSeconds: Int64 { claims.expiresAt - claims.issuedAt }
    }

    public func callAsFunction(clientID: String, secret: String, scope: String?, context: AuditContext) async throws -> Issued {
        let id = ClientID(string: clientID)
        let client: APIClient? = if let id { try await directory.client(id) } else { nil }
        let verified: Bool
        do {
            verified = try await hasher.verify(secret, against: client?.secretHash ?? decoyHash)
        } catch {
            throw TokenRequestError.temporarilyUnavailable
        }
        guard let client, verified, !client.isRevoked else {
            let reason = switch client?.isRevoked {
            case nil: "unknown-client"
            case true?: "revoked"
            case false?: "bad-secret"
            }
            try await fail(id, client, reason: reason, context)
            throw TokenRequestError.invalidClient
        }
        var scopes = client.scopes
        if let scope, !scope.isEmpty {
            var requested: [Scope] = []
            for name in scope.split(separator: " ") {
                guard let wanted = Scope(rawValue: String(name)), client.scopes.contains(wanted) else {
                    try await fail(id, client, reason: "scope-not-granted", context)
                    throw TokenRequestError.invalidScope
                }
                requested.append(wanted)
            }
            scopes = requested
        }
        let now = clock.now().unixSeconds
        let claims = AccessTokenClaims(
            issuer: issuer, subject: client.id, audience: audience, issuedAt: now, notBefore: now, expiresAt: now + lifetimeSeconds,
            tokenID: newTokenID(), tenant: client.tenant, scopes: scopes, roles: client.roles
        )
        let token = AccessTokenJWT.sign(claims, with: signer)
        let event = AuditEvent(
            scope: .tenant(client.tenant), eventType: "auth.token_issued", context: context, outcome: .success,
            resourceType: "api_client", resourceID: client.id.description,
            details: [
                "jti": .string(claims.tokenID), "kid": .string(signer.key.keyID),
                "scopes": .array(claims.scopes.map { .string($0.rawValue) }),
                "expires_at": CanonicalJSON(exactly: claims.expiresAt) ?? .null,
            ]
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        return Issued(token: token, claims: claims)
    }

    private func fail(_ id: ClientID?, _ client: APIClient?, reason: String, _ context: AuditContext) async throws {
        let event = AuditEvent(
            scope: client.map { .tenant($0.tenant) } ?? .system, eventType: "auth.client_authentication_failed", context: context,
            outcome: .failure, resourceType: "api_client", resourceID: id?.description ?? "unparseable", details: ["reason": .string(reason)]
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
    }
}

/// A token request refused (RFC 6749 §5.2): `invalid_client` (401) or `invalid_scope` (400); or
/// not attempted (`temporarily_unavailable`, 503).
public enum TokenRequestError: DomainError, Equatable, CustomStringConvertible {
    case invalidClient
    case invalidScope
    /// Too many authentications at once (`SecretHasherBusy`): nothing was checked or audited.
    case temporarilyUnavailable

    public var slug: String {
        switch self {
        case .invalidClient: "invalid-client"
        case .invalidScope: "invalid-scope"
        case .temporarilyUnavailable: "temporarily-unavailable"
        }
    }

    public var description: String {
        switch self {
        case .invalidClient: "client authentication failed"
        case .invalidScope: "a requested scope is unknown or not granted to the client"
        case .temporarilyUnavailable: "too many token requests in progress; retry shortly"
        }
    }
}
