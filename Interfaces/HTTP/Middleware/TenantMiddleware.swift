import HTTPTypes
import Domain
import Hummingbird

/// Until authentication arrives, the tenant comes from the `X-Tenant-ID` header (a UUID).
/// Required on every `/v1` route; the handlers read it from the context, never from the request.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext
    static let header = HTTPField.Name("X-Tenant-ID")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let raw = request.headers[Self.header] else {
            throw ProblemError(.tenantRequired, detail: "the X-Tenant-ID header is required")
        }
        guard let tenant = TenantID(string: raw) else {
            throw ProblemError(.tenantRequired, detail: "the X-Tenant-ID header must be a UUID")
        }
        var context = context
        context.tenant = tenant
        context.logger[metadataKey: "tenant_id"] = .string(tenant.description)
        return try await next(request, context)
    }
}
