/// The review queue: a page of the tenant's held transactions that no reviewer has decided
/// yet, oldest first. Each page read is audited (how many rows).
public struct ListReviews: Sendable {
    public static let limitMax = 100
    public static let list = "reviews"
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper
    private let fields: FieldProtection

    public init(repository: any TransactionRepository, keeper: any RecordKeeper, fields: FieldProtection) {
        self.repository = repository
        self.keeper = keeper
        self.fields = fields
    }

    public func callAsFunction(tenant: TenantID, after cursor: PageCursor?, limit: Int, context: AuditContext) async throws -> Page<Transaction> {
        precondition((1...Self.limitMax).contains(limit), "1 to \(Self.limitMax) results")
        precondition(cursor.map { $0.list == Self.list } ?? true, "a cursor of this list")
        let rows = try await repository.awaitingReview(tenant: tenant, after: cursor?.transactionPosition, limit: limit + 1)
        return try await TransactionPages.open(
            rows, limit: limit, list: Self.list, tenant: tenant, eventType: "review.listed", keeper: keeper, fields: fields, context: context
        )
    }
}

/// Decides a held transaction (maker-checker): the checker approves or rejects it, with a reason.
/// Refused, and audited as a refusal, when the transaction is not the tenant's (404), is not held,
/// was decided already, or was submitted by the checker. The record keeper checks the same rules
/// again inside its transaction (and PostgreSQL a third time), so two concurrent decisions record
/// exactly one. The decision is audited as `review.decided`, without its reason.
public struct DecideReview: Sendable {
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper
    private let clock: any Clock

    public init(repository: any TransactionRepository, keeper: any RecordKeeper, clock: any Clock) {
        self.repository = repository
        self.keeper = keeper
        self.clock = clock
    }

    public func callAsFunction(
        _ id: TransactionID, verdict: Review.Verdict, reason: ReviewReason, tenant: TenantID, checker: ClientID,
        context: AuditContext, idempotency: IdempotentRequest? = nil
    ) async throws -> Review {
        precondition(idempotency.map { $0.tenant == tenant && $0.client == checker } ?? true, "a key is the checker's")
        let stored = try await repository.transaction(id: id, tenant: tenant)
        let review = Review(transactionID: id, tenant: tenant, verdict: verdict, reason: reason, decidedBy: checker, decidedAt: clock.now())
        do {
            guard let stored else { throw TransactionError.notFound(id) }
            // The same rules as the keeper's, checked first for a clear answer without a write. Not
            // for a keyed decision: the keeper takes its key first, so the retry of a decision that
            // committed meanwhile finds the key taken (and is replayed), not the review.
            if idempotency == nil {
                if stored.review != nil { throw ReviewError.alreadyDecided(id) }
                if stored.status != .held { throw ReviewError.notHeld(id) }
                if stored.submittedBy == checker { throw ReviewError.makerCannotDecide(id) }
            }
            var details = Self.details(of: review)
            details["maker"] = stored.submittedBy.map { .string($0.description) } ?? .null
            let event = AuditEvent(
                scope: .tenant(tenant), eventType: "review.decided", context: context, outcome: .success,
                resourceType: "transaction", resourceID: id.description, details: details
            )
            let writes = idempotency.remembering(.review(id), at: review.decidedAt) + [.decideReview(review)]
            _ = try await keeper.commit(AuditedChange(writes: writes, events: [event]))
            return review
        } catch let refusal as any DomainError where refusal is ReviewError || refusal is TransactionError {
            var details = Self.details(of: review)
            details["refused"] = .string(refusal.slug)
            let event = AuditEvent(
                scope: .tenant(tenant), eventType: "review.decided", context: context, outcome: .failure,
                resourceType: "transaction", resourceID: id.description, details: details
            )
            _ = try await keeper.commit(AuditedChange(events: [event]))
            throw refusal
        }
    }

    /// The decision a keyed retry is answered with: the transaction's review as stored, read
    /// without opening its protected fields, and audited as `review.read` (the reason is the
    /// reviewer's text). Throws `TransactionError.notFound` when there is none.
    public func recorded(_ id: TransactionID, tenant: TenantID, context: AuditContext) async throws -> Review {
        guard let review = try await repository.transaction(id: id, tenant: tenant)?.review else { throw TransactionError.notFound(id) }
        precondition(review.tenant == tenant && review.transactionID == id, "repository returned a foreign review")
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "review.read", context: context, outcome: .success,
            resourceType: "transaction", resourceID: id.description
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        return review
    }

    /// The verdict and the statuses. Not the reason, nor a digest of it: it is the reviewer's
    /// plaintext, which may name people, and a digest of a short text confirms a guess
    /// (docs/audit-log.md §3.3 allows digests of ciphertext only).
    static func details(of review: Review) -> [String: CanonicalJSON] {
        [
            "verdict": .string(review.verdict.rawValue),
            "status_before": .string(TransactionStatus.held.rawValue),
            "status_after": .string(review.verdict.status.rawValue),
        ]
    }
}
