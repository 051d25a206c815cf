import Domain
import Hummingbird
import Logging
import NIOCore

/// Turns every error into an RFC 9457 `application/problem+json` response.
/// Domain errors map through their stable slug; anything unknown becomes a generic 500 that
/// says nothing about its cause to the client and is logged at error level with the request id.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context)
        }
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        let instance = request.uri.path
        func problem(_ type: ProblemType, _ detail: String, _ fields: [FieldError]? = nil) -> Response {
            ProblemDocument(type, detail: detail, instance: instance, requestID: context.requestID, fieldErrors: fields)
                .response()
        }
        switch error {
        case let failure as ValidationFailed:
            let count = failure.fieldErrors.count
            return problem(.validationFailed, "\(count) field\(count == 1 ? " is" : "s are") invalid", failure.fieldErrors)
        case let failure as ProblemError:
            var response = problem(failure.type, failure.detail)
            if failure.type == .unauthenticated { response.headers[.wwwAuthenticate] = #"Bearer realm="custos""# }
            return response
        case let failure as TokenError:
            // The reason goes to the server's log; the caller learns only that the token is invalid.
            context.logger.notice("invalid access token", metadata: ["reason": .string(failure.reason)])
            var response = problem(.invalidToken, "the access token is invalid or expired; get a new one from POST /oauth/token")
            response.headers[.wwwAuthenticate] = #"Bearer realm="custos", error="invalid_token""#
            return response
        case let failure as RateLimited:
            var response = problem(.rateLimited, "this client is over its request rate; retry after \(failure.retryAfterSeconds) s")
            response.headers[.retryAfter] = String(failure.retryAfterSeconds)
            return response
        case let failure as InsufficientScope:
            var response = problem(.insufficientScope, "this route needs the scope \(failure.scope.rawValue)")
            response.headers[.wwwAuthenticate] = #"Bearer realm="custos", error="insufficient_scope", scope="\#(failure.scope.rawValue)""#
            return response
        case let failure as any DomainError:
            if let type = ProblemType.forDomainSlug(failure.slug) {
                if type.status.code >= 500 {
                    // Stored data that fails its checks, or keys that do not unwrap: an operator's
                    // matter. Domain errors' descriptions carry no data or key material.
                    context.logger.error("request failed on stored data", metadata: [
                        "problem": .string(type.slug), "error": .string(String(describing: failure)),
                    ])
                }
                return problem(type, Self.detail(for: failure))
            }
        case is NIOTooManyBytesError:
            return problem(.bodyTooLarge, "the request body is larger than this server accepts")
        case let failure as HTTPError:
            switch failure.status {
            case .notFound: return problem(.routeNotFound, "no route matches \(request.method) \(instance)")
            case .methodNotAllowed: return problem(.methodNotAllowed, "\(request.method) is not allowed here")
            case .contentTooLarge: return problem(.bodyTooLarge, "the request body is larger than this server accepts")
            case let status where (400..<500).contains(status.code):
                return problem(.badRequest, status.reasonPhrase)
            default: break
            }
        default:
            break
        }
        context.logger.error("unhandled error", metadata: [
            "error_type": .string(String(describing: type(of: error))),
            "error": .string(String(describing: error)),
        ])
        return problem(.internalError, "an internal error occurred; quote the request id when reporting it")
    }

    private static func detail(for error: any DomainError) -> String {
        switch error {
        case TransactionError.notFound: "no transaction with this id exists for this tenant"
        case TransactionError.duplicateID: "a transaction with this id already exists"
        case IdempotencyError.keyReused:
            "this Idempotency-Key was used by this client for a different request (another body or route); nothing was done"
        case IdempotencyError.keyTaken, IdempotencyError.keyInUse:
            "a request with this Idempotency-Key is in progress; retry with the same key"
        case ReviewError.notHeld: "this transaction is not held for review (it was posted or declined by its policy decision)"
        case ReviewError.alreadyDecided: "this transaction was reviewed already; the first decision stands"
        case ReviewError.makerCannotDecide: "the client that submitted this transaction may not review it: another client must"
        case is ReadAuditLog.Failure: "this tenant's audit log has no signed checkpoint yet"
        case is PolicyUnavailable: "no policy bundle is active, so no transaction can be decided; nothing was recorded"
        case is DecisionNotFound: "this transaction was recorded before policy decisions and has none"
        case is DecisionRecordCorrupt: "the stored decision record failed its checks"
        case is PolicyError: "the stored policy bundle of this decision failed to load"
        default: error.slug
        }
    }
}
