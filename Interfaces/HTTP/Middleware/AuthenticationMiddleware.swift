import Domain
import HTTPTypes
import Hummingbird

/// Every `/v1` route needs `Authorization: Bearer <access token>` (RFC 6750). The token is
/// verified (`AuthenticateRequest`), and its tenant is the request's tenant: nothing else in the
/// request can choose it. Then the client's rate limit applies (429 beyond it). Handlers read the tenant and the principal from the context.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext
    let authenticate: AuthenticateRequest
    /// Per-client limits, checked once the client is known; nil: none.
    let rateLimiter: (any RateLimiter)?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ProblemError(.unauthenticated, detail: "send Authorization: Bearer <access token>; POST /oauth/token issues one")
        }
        let scheme = "bearer "
        guard header.utf8.count <= AccessTokenJWT.tokenBytesMax + scheme.utf8.count, header.lowercased().hasPrefix(scheme) else {
            throw ProblemError(.unauthenticated, detail: "the Authorization header must be Bearer <access token>")
        }
        let principal = try await authenticate(bearer: String(header.dropFirst(scheme.count)).trimmingCharacters(in: .whitespaces))
        if let rateLimiter, case .limited(let seconds) = rateLimiter.admit(principal.client) {
            throw RateLimited(retryAfterSeconds: seconds)
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "tenant_id"] = .string(principal.tenant.description)
        context.logger[metadataKey: "client_id"] = .string(principal.client.description)
        return try await next(request, context)
    }
}

/// A handler that runs only when the request's token carries `scope`; a denial is audited.
struct Scoped: Sendable {
    let authorize: AuthorizeScope

    func callAsFunction(
        _ scope: Scope, _ handler: @escaping @Sendable (Request, CustosRequestContext) async throws -> Response
    ) -> @Sendable (Request, CustosRequestContext) async throws -> Response {
        { request, context in
            let principal = try context.requirePrincipal()
            // The matched template (`GET /v1/transactions/{id}`), never the path with its ids.
            let route = "\(request.method.rawValue) \(context.routeLabel)"
            try await authorize(principal, scope, route: route, context: context.auditContext)
            return try await handler(request, context)
        }
    }
}
