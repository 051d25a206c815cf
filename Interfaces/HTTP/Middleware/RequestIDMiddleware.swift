import HTTPTypes
import Foundation
import Hummingbird
import Logging

/// Outermost middleware: gives every request an id (the caller's `X-Request-ID` when it is
/// 1–128 characters of `A–Z a–z 0–9 . _ : -`, a fresh UUID otherwise), puts it in the logger's
/// metadata and echoes it, adds the headers every response carries, and logs one access line.
/// The access line holds the path without its query string: queries may carry searched values.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext
    static let header = HTTPField.Name("X-Request-ID")!
    static let lengthMax = 128

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.accept) ?? UUID().uuidString.lowercased()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[Self.header] = id
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "route": .string(context.routeLabel),
            "status": .stringConvertible(response.status.code),
            "duration_us": .stringConvertible(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000),
        ])
        return response
    }

    static func accept(_ candidate: String) -> String? {
        let scalars = candidate.unicodeScalars
        guard (1...lengthMax).contains(scalars.count),
              scalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._:-".unicodeScalars.contains($0)) })
        else { return nil }
        return candidate
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
