import HTTPTypes
import Hummingbird

/// Headers on every response, errors included: `X-Content-Type-Options: nosniff`, so that no
/// browser second-guesses a JSON body's type; `Cache-Control: no-store` unless a route chose
/// its own caching (the public keys may be cached), so that no proxy or browser keeps a copy of
/// tenant data; `Referrer-Policy: no-referrer`. When the server itself terminates TLS,
/// `Strict-Transport-Security: max-age=…` too; never on plain HTTP, where a proxy in front
/// terminates TLS and sets it (deploy/nginx/custos.conf).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext
    /// The whole `Strict-Transport-Security` value, or nil on plain HTTP.
    let strictTransportSecurity: String?

    init(hstsMaxAgeSeconds: Int?) {
        if let hstsMaxAgeSeconds {
            precondition(hstsMaxAgeSeconds >= 0, "an HSTS max-age is never negative")
            strictTransportSecurity = "max-age=\(hstsMaxAgeSeconds)"
        } else {
            strictTransportSecurity = nil
        }
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if let strictTransportSecurity { response.headers[.strictTransportSecurity] = strictTransportSecurity }
        return response
    }
}
