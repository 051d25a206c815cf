import Domain
import Hummingbird

/// The per-request context: the request id and, on tenant routes, the tenant, with their types.
public struct CustosRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware` before anything else runs.
    public var requestID: String = ""
    /// Set by `TenantMiddleware` on `/v1` routes; handlers there may rely on it.
    public var tenant: TenantID?

    /// The peer's IP address, for audit entries (`source_address`); nil when unknown.
    public let remoteAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Who is asking, for the audit log. Until authentication lands, every caller is
    /// `unauthenticated`; the request id and peer address still tie the entry to the request.
    var auditContext: AuditContext {
        AuditContext(actor: AuditContext.unauthenticated.actor, sourceAddress: remoteAddress, requestID: requestID)
    }

    /// The matched route template (`/v1/transactions/{id}`), or `unmatched`: never a raw path,
    /// so ids in paths neither explode metric cardinality nor reach the labels.
    var routeLabel: String {
        endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
    }

    /// The tenant, which `TenantMiddleware` guarantees on `/v1` routes.
    func requireTenant() throws -> TenantID {
        guard let tenant else { throw ProblemError(.tenantRequired, detail: "the X-Tenant-ID header is required") }
        return tenant
    }
}
