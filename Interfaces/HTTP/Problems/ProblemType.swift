import HTTPTypes

/// The catalogue of problem types Custos answers with (RFC 9457). The `type` URIs are stable:
/// clients may switch on them. docs/errors.md lists them; a test keeps the two in step.
public struct ProblemType: Hashable, Sendable {
    public let slug: String
    public let title: String
    public let status: HTTPResponse.Status

    public var uri: String { ProblemType.uriPrefix + slug }
    public static let uriPrefix = "urn:custos:problem:"

    public static let malformedJSON = ProblemType(slug: "malformed-json", title: "Malformed JSON", status: .badRequest)
    public static let unauthenticated = ProblemType(
        slug: "unauthenticated", title: "Authentication required", status: .unauthorized)
    public static let invalidToken = ProblemType(slug: "invalid-token", title: "Invalid access token", status: .unauthorized)
    public static let insufficientScope = ProblemType(
        slug: "insufficient-scope", title: "Insufficient scope", status: .forbidden)
    public static let rateLimited = ProblemType(slug: "rate-limited", title: "Too many requests", status: .tooManyRequests)
    public static let bodyTooLarge = ProblemType(
        slug: "body-too-large", title: "Request body too large", status: .contentTooLarge)
    public static let unsupportedMediaType = ProblemType(
        slug: "unsupported-media-type", title: "Unsupported media type", status: .unsupportedMediaType)
    public static let validationFailed = ProblemType(
        slug: "validation-failed", title: "Validation failed", status: .unprocessableContent)
    public static let transactionNotFound = ProblemType(
        slug: "transaction-not-found", title: "Transaction not found", status: .notFound)
    public static let transactionConflict = ProblemType(
        slug: "transaction-conflict", title: "Transaction conflict", status: .conflict)
    public static let invalidIdempotencyKey = ProblemType(
        slug: "invalid-idempotency-key", title: "Invalid idempotency key", status: .badRequest)
    public static let idempotencyKeyReused = ProblemType(
        slug: "idempotency-key-reused", title: "Idempotency key used for another request", status: .unprocessableContent)
    public static let idempotencyKeyInUse = ProblemType(
        slug: "idempotency-key-in-use", title: "Idempotency key in use", status: .conflict)
    public static let invalidCursor = ProblemType(slug: "invalid-cursor", title: "Invalid page cursor", status: .badRequest)
    public static let reviewNotPending = ProblemType(
        slug: "review-not-pending", title: "Transaction is not awaiting review", status: .conflict)
    public static let reviewAlreadyDecided = ProblemType(
        slug: "review-already-decided", title: "Transaction was reviewed already", status: .conflict)
    public static let makerCannotDecide = ProblemType(
        slug: "maker-cannot-decide", title: "The submitter may not review", status: .forbidden)
    public static let auditLogEmpty = ProblemType(
        slug: "audit-log-empty", title: "Audit log has no checkpoint yet", status: .notFound)
    public static let fieldUndecryptable = ProblemType(
        slug: "field-undecryptable", title: "Stored field failed its integrity check", status: .internalServerError)
    public static let dataKeyUnavailable = ProblemType(
        slug: "data-key-unavailable", title: "Data key unavailable", status: .internalServerError)
    public static let dataKeyConflict = ProblemType(
        slug: "data-key-conflict", title: "Data key being created concurrently", status: .serviceUnavailable)
    public static let noActivePolicy = ProblemType(
        slug: "no-active-policy", title: "No policy bundle is active", status: .serviceUnavailable)
    public static let decisionNotFound = ProblemType(
        slug: "decision-not-found", title: "Transaction has no recorded decision", status: .notFound)
    public static let decisionRecordCorrupt = ProblemType(
        slug: "decision-record-corrupt", title: "Stored decision record failed its checks", status: .internalServerError)
    public static let invalidPolicy = ProblemType(
        slug: "invalid-policy", title: "Stored policy bundle failed to load", status: .internalServerError)
    public static let routeNotFound = ProblemType(slug: "route-not-found", title: "No such route", status: .notFound)
    public static let methodNotAllowed = ProblemType(
        slug: "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed)
    public static let badRequest = ProblemType(slug: "bad-request", title: "Bad request", status: .badRequest)
    public static let notReady = ProblemType(slug: "not-ready", title: "Not ready", status: .serviceUnavailable)
    public static let internalError = ProblemType(
        slug: "internal", title: "Internal server error", status: .internalServerError)

    public static let all: [ProblemType] = [
        .malformedJSON, .unauthenticated, .invalidToken, .insufficientScope, .rateLimited, .bodyTooLarge, .unsupportedMediaType, .validationFailed,
        .transactionNotFound, .transactionConflict, .invalidIdempotencyKey, .idempotencyKeyReused, .idempotencyKeyInUse,
        .invalidCursor, .reviewNotPending, .reviewAlreadyDecided, .makerCannotDecide, .auditLogEmpty, .fieldUndecryptable, .dataKeyUnavailable, .dataKeyConflict,
        .noActivePolicy, .decisionNotFound, .decisionRecordCorrupt, .invalidPolicy,
        .routeNotFound, .methodNotAllowed, .badRequest,
        .notReady, .internalError,
    ]

    /// The problem type for a domain error's stable slug.
    static func forDomainSlug(_ slug: String) -> ProblemType? {
        all.first { $0.slug == slug }
    }
}

/// An error raised by the HTTP layer itself (not by the core), already tied to its problem type.
public struct ProblemError: Error, Sendable {
    public let type: ProblemType
    public let detail: String
    public init(_ type: ProblemType, detail: String) {
        self.type = type
        self.detail = detail
    }
}
