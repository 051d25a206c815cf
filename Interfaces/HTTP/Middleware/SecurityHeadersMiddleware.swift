import HTTPTypes
import Hummingbird

/// Headers on every response, errors included: `X-Content-Type-Options: nosniff`, so that no
/// browser second-guesses a JSON body's type; `Cache-Control: no-store` unless a route chose
/// its own caching (the public keys may be cached), so that no proxy or browser keeps a copy of
/// tenant data; `Referrer-Policy: no-referrer`. (`Strict-Transport-Security` comes with TLS.)
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
