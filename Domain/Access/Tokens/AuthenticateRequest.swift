/// Who a verified request comes from: the client, its tenant, and what the token grants.
public struct Principal: Hashable, Sendable {
    public let client: ClientID
    public let tenant: TenantID
    public let scopes: [Scope]
    public let roles: [ClientRole]
    public let tokenID: String
    /// The external issuer whose token this is (`client` is then derived from its subject,
    /// `ExternalTokenJWT.clientID`); nil for Custos's own clients.
    public let externalIssuer: String?

    public init(client: ClientID, tenant: TenantID, scopes: [Scope], roles: [ClientRole], tokenID: String, externalIssuer: String? = nil) {
        self.client = client
        self.tenant = tenant
        self.scopes = scopes
        self.roles = roles
        self.tokenID = tokenID
        self.externalIssuer = externalIssuer
    }

    public func allows(_ scope: Scope) -> Bool { scopes.contains(scope) }

    /// The audit context of its requests: the actor is the client (`client:<id>`), or for an
    /// external issuer's subject `external:<id>`.
    public func auditContext(sourceAddress: String?, requestID: String?) -> AuditContext {
        AuditContext(
            actor: (externalIssuer == nil ? "client:" : "external:") + client.description, clientID: client.description,
            sourceAddress: sourceAddress, requestID: requestID
        )
    }
}

/// Checks a bearer token on every API request: the token itself (`AccessTokenJWT.verify`), then
/// that its client still exists in the token's tenant and is not revoked, so that a revocation
/// takes effect on the next request, not when the token expires.
public struct AuthenticateRequest: Sendable {
    private let keys: [TokenVerificationKey]
    private let verifier: any SignatureVerifier
    private let directory: any AccessDirectory
    private let clock: any Clock
    private let issuer: String
    private let audience: String
    private let external: ExternalIssuer?
    private let externalVerifier: (any ExternalSignatureVerifier)?

    /// `external`: an OpenID Connect issuer whose tokens are accepted too, with the verifier of
    /// its algorithms. Its subjects are not registered clients: their tokens are checked for their
    /// tenant's existence only (revoking one is the issuer's business, and its tokens' lifetime).
    public init(
        keys: [TokenVerificationKey], verifier: any SignatureVerifier, directory: any AccessDirectory, clock: any Clock,
        issuer: String, audience: String, external: ExternalIssuer? = nil, externalVerifier: (any ExternalSignatureVerifier)? = nil
    ) {
        precondition(!keys.isEmpty, "at least one key verifies")
        precondition((external == nil) == (externalVerifier == nil), "an external issuer comes with its verifier")
        precondition(external.map { $0.issuer != issuer } ?? true, "an external issuer is not Custos itself")
        self.external = external
        self.externalVerifier = externalVerifier
        self.keys = keys
        self.verifier = verifier
        self.directory = directory
        self.clock = clock
        self.issuer = issuer
        self.audience = audience
    }

    public func callAsFunction(bearer token: String) async throws -> Principal {
        // Parsed once; which verification runs depends on the (unverified) kid only.
        let jws = try JWSCompact(token)
        if let external, let externalVerifier, !keys.contains(where: { $0.keyID == jws.keyID }) {
            let claims = try ExternalTokenJWT.verify(jws, issuer: external, verifier: externalVerifier, nowSeconds: clock.now().unixSeconds)
            // The tenant must exist: an issuer naming an unknown tenant is refused like a revoked client.
            guard try await directory.tenant(claims.tenant) != nil else { throw TokenError.clientRevoked }
            return Principal(
                client: ExternalTokenJWT.clientID(issuer: external.issuer, subject: claims.subject), tenant: claims.tenant,
                scopes: claims.scopes, roles: [], tokenID: claims.tokenID, externalIssuer: external.issuer
            )
        }
        let claims = try AccessTokenJWT.verify(
            jws, keys: keys, verifier: verifier, issuer: issuer, audience: audience, nowSeconds: clock.now().unixSeconds
        )
        guard let client = try await directory.client(claims.subject, of: claims.tenant), client.tenant == claims.tenant, !client.isRevoked else {
            throw TokenError.clientRevoked
        }
        return Principal(client: claims.subject, tenant: claims.tenant, scopes: claims.scopes, roles: claims.roles, tokenID: claims.tokenID)
    }

}

/// A route needs a scope the token does not carry.
public struct InsufficientScope: DomainError, Equatable, CustomStringConvertible {
    public let scope: Scope
    public init(_ scope: Scope) { self.scope = scope }
    public var slug: String { "insufficient-scope" }
    public var description: String { "the token lacks the scope \(scope.rawValue)" }
}

/// Checks that a principal holds the scope a route needs; a denial is audited in its tenant's
/// log (`auth.scope_denied`, PCI DSS 10.2.1.5) and is `InsufficientScope`.
public struct AuthorizeScope: Sendable {
    private let keeper: any RecordKeeper

    public init(keeper: any RecordKeeper) { self.keeper = keeper }

    /// `route` is the route's template (`POST /v1/transactions`), never a path with ids.
    public func callAsFunction(_ principal: Principal, _ scope: Scope, route: String, context: AuditContext) async throws {
        guard !principal.allows(scope) else { return }
        let event = AuditEvent(
            scope: .tenant(principal.tenant), eventType: "auth.scope_denied", context: context, outcome: .failure,
            resourceType: "api_client", resourceID: principal.client.description,
            details: ["scope": .string(scope.rawValue), "route": .string(String(route.prefix(200)))]
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        throw InsufficientScope(scope)
    }
}
