import HTTPTypes
import Hummingbird

/// Refuses a request whose declared `Content-Length` exceeds the limit before reading any of it.
/// Bodies without a length (chunked) are bounded where they are read (`collect(upTo:)`).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext
    let bodyBytesMax: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > bodyBytesMax {
            throw ProblemError(.bodyTooLarge, detail: "the request body is larger than the \(bodyBytesMax)-byte limit")
        }
        return try await next(request, context)
    }
}
