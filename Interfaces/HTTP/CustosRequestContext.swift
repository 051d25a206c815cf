import Domain
import Hummingbird

/// The per-request context: the request id and, on tenant routes, the tenant, with their types.
public struct CustosRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware` before anything else runs.
    public var requestID: String = ""
    /// Who the request comes from (the verified token): set by `AuthenticationMiddleware` on
    /// `/v1` routes; handlers there may rely on it.
    public var principal: Principal?
    /// The request's tenant: the verified token's.
    public var tenant: TenantID? { principal?.tenant }

    /// The peer's IP address, for audit entries (`source_address`); nil when unknown.
    public let remoteAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Who is asking, for the audit log: the client of the verified token on `/v1` routes, else
    /// `unauthenticated` (the token endpoint); the request id and peer address tie the entry to
    /// the request.
    var auditContext: AuditContext {
        principal?.auditContext(sourceAddress: remoteAddress, requestID: requestID)
            ?? AuditContext(actor: AuditContext.unauthenticated.actor, sourceAddress: remoteAddress, requestID: requestID)
    }

    /// The matched route template (`/v1/transactions/{id}`), or `unmatched`: never a raw path,
    /// so ids in paths neither explode metric cardinality nor reach the labels.
    var routeLabel: String {
        endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
    }

    /// The principal, which `AuthenticationMiddleware` guarantees on `/v1` routes.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw ProblemError(.unauthenticated, detail: "send Authorization: Bearer <access token>") }
        return principal
    }

    /// The tenant, which `AuthenticationMiddleware` guarantees on `/v1` routes.
    func requireTenant() throws -> TenantID {
        try requirePrincipal().tenant
    }
}
