import HTTPTypes
import Domain
import Hummingbird

/// Everything the HTTP adapter needs, chosen by the composition root (PostgreSQL in
/// `custos serve`, in-memory adapters in tests).
public struct HTTPDependencies: Sendable {
    /// Default request body limit: 1 MiB.
    public static let bodyBytesMaxDefault = 1 << 20

    public var recordTransaction: RecordTransaction
    public var getTransaction: GetTransaction
    public var findTransactions: FindTransactions
    public var listTransactions: ListTransactions
    public var listReviews: ListReviews
    public var decideReview: DecideReview
    public var getDecision: GetDecision
    public var replayDecision: ReplayDecision
    public var readAuditLog: ReadAuditLog
    /// Where keyed creating requests find their earlier outcomes.
    public var idempotency: any IdempotencyStore
    public var auditOrigins: AuditOrigins
    public var readiness: any ReadinessCheck
    public var metrics: HTTPMetrics
    public var bodyBytesMax: Int
    /// `POST /oauth/token` and `/.well-known/jwks.json`; absent when no signing key is configured.
    public var tokens: TokenEndpoint?
    /// Bearer-token checks on every `/v1` route, and the scope each route needs.
    public var authenticate: AuthenticateRequest
    public var authorize: AuthorizeScope
    /// Per-client request limits on `/v1`; nil: none.
    public var rateLimiter: (any RateLimiter)?
    /// `Strict-Transport-Security: max-age=…` on every response, when the server terminates TLS
    /// itself; nil on plain HTTP, which never sends it.
    public var hstsMaxAgeSeconds: Int?

    public init(
        recordTransaction: RecordTransaction, getTransaction: GetTransaction, findTransactions: FindTransactions,
        listTransactions: ListTransactions, listReviews: ListReviews, decideReview: DecideReview,
        getDecision: GetDecision, replayDecision: ReplayDecision, readAuditLog: ReadAuditLog,
        idempotency: any IdempotencyStore, auditOrigins: AuditOrigins, readiness: any ReadinessCheck,
        metrics: HTTPMetrics, bodyBytesMax: Int = HTTPDependencies.bodyBytesMaxDefault, tokens: TokenEndpoint? = nil,
        authenticate: AuthenticateRequest, authorize: AuthorizeScope, rateLimiter: (any RateLimiter)? = nil,
        hstsMaxAgeSeconds: Int? = nil
    ) {
        precondition(bodyBytesMax > 0, "the body limit must be positive")
        precondition((hstsMaxAgeSeconds ?? 0) >= 0, "an HSTS max-age is never negative")
        self.recordTransaction = recordTransaction
        self.getTransaction = getTransaction
        self.findTransactions = findTransactions
        self.listTransactions = listTransactions
        self.listReviews = listReviews
        self.decideReview = decideReview
        self.getDecision = getDecision
        self.replayDecision = replayDecision
        self.readAuditLog = readAuditLog
        self.idempotency = idempotency
        self.auditOrigins = auditOrigins
        self.readiness = readiness
        self.metrics = metrics
        self.bodyBytesMax = bodyBytesMax
        self.tokens = tokens
        self.authenticate = authenticate
        self.authorize = authorize
        self.rateLimiter = rateLimiter
        self.hstsMaxAgeSeconds = hstsMaxAgeSeconds
    }
}

/// Builds the router: middleware outermost first (request id and access log, security headers
/// (with HSTS when on TLS), metrics, problem mapping, body limit), then the operational routes and the tenant-scoped `/v1` API.
public func buildRouter(_ dependencies: HTTPDependencies) -> Router<CustosRequestContext> {
    let router = Router(context: CustosRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: SecurityHeadersMiddleware(hstsMaxAgeSeconds: dependencies.hstsMaxAgeSeconds))
    router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: BodyLimitMiddleware(bodyBytesMax: dependencies.bodyBytesMax))
    OperationalRoutes(readiness: dependencies.readiness, metrics: dependencies.metrics).register(on: router)
    if let tokens = dependencies.tokens { TokenRoutes(endpoint: tokens).register(on: router) }
    let v1 = router.group("v1").add(middleware: AuthenticationMiddleware(authenticate: dependencies.authenticate, rateLimiter: dependencies.rateLimiter))
    let scoped = Scoped(authorize: dependencies.authorize)
    let idempotent = RunIdempotently(store: dependencies.idempotency)
    TransactionRoutes(
        record: dependencies.recordTransaction, get: dependencies.getTransaction, find: dependencies.findTransactions,
        listAll: dependencies.listTransactions,
        decision: dependencies.getDecision, replay: dependencies.replayDecision,
        idempotent: idempotent, bodyBytesMax: dependencies.bodyBytesMax
    ).register(on: v1, scoped: scoped)
    ReviewRoutes(
        list: dependencies.listReviews, decide: dependencies.decideReview,
        idempotent: idempotent, bodyBytesMax: dependencies.bodyBytesMax
    ).register(on: v1, scoped: scoped)
    AuditRoutes(read: dependencies.readAuditLog, origins: dependencies.auditOrigins).register(on: v1, scoped: scoped)
    return router
}
