import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Maker-checker over HTTP: `GET /v1/reviews` (the queue of held transactions, oldest first) and
/// `POST /v1/reviews/{transaction_id}` (`{"decision": "approve" | "reject", "reason": "…"}`),
/// both with `reviews:decide`.
struct ReviewRoutes {
    let list: ListReviews
    let decide: DecideReview
    let idempotent: RunIdempotently
    let bodyBytesMax: Int

    func register(on group: RouterGroup<CustosRequestContext>, scoped: Scoped) {
        group.get("reviews", use: scoped(.reviewsDecide, queue))
        group.post("reviews/{transaction_id}", use: scoped(.reviewsDecide, decision))
    }

    @Sendable func queue(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let page = try PageQuery(request, list: ListReviews.list, limitMax: ListReviews.limitMax)
        let listed = try await list(tenant: tenant, after: page.cursor, limit: page.limit, context: context.auditContext)
        return JSONBody.response(TransactionJSON.ListResponse(listed), status: .ok)
    }

    /// Decides the transaction's review; with an `Idempotency-Key`, a retry gets the first answer.
    @Sendable func decision(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let tenant = principal.tenant
        // A malformed id names no transaction: the same 404 as an unknown or foreign one.
        guard let id = context.parameters.get("transaction_id").flatMap(TransactionID.init(string:)) else {
            throw ProblemError(.transactionNotFound, detail: "no transaction with this id exists for this tenant")
        }
        try TransactionRoutes.requireJSON(request)
        let body = try await request.body.collect(upTo: bodyBytesMax)
        let keyed = try IdempotencyHeader.request(request, principal: principal, route: "POST /v1/reviews/\(id)", body: body)
        let (verdict, reason) = try Self.parse(try JSONValue.object(from: Data(buffer: body)))
        let result = try await idempotent(keyed) {
            try await decide(id, verdict: verdict, reason: reason, tenant: tenant, checker: principal.client,
                             context: context.auditContext, idempotency: $0)
        }
        switch result {
        case .created(let review):
            return Self.decided(review)
        case .replayed(let outcome):
            // The fingerprint names this transaction's route: its review is the one replayed.
            guard case .review(let reviewed) = outcome.resource, reviewed == id else { preconditionFailure("a review route's outcome") }
            var response = Self.decided(try await decide.recorded(id, tenant: tenant, context: context.auditContext))
            IdempotencyHeader.markReplayed(&response)
            return response
        }
    }

    static func decided(_ review: Review) -> Response {
        var response = JSONBody.response(TransactionJSON.ReviewJSON(review), status: .created)
        response.headers[.location] = "/v1/transactions/\(review.transactionID)"
        return response
    }

    /// `decision` and `reason`, every bad or unknown member listed.
    static func parse(_ object: [String: JSONValue]) throws -> (Review.Verdict, ReviewReason) {
        var errors: [FieldError] = []
        var verdict: Review.Verdict?
        switch object["decision"] {
        case .string(let text)?:
            verdict = Review.Verdict(rawValue: text)
            if verdict == nil { errors.append(FieldError(
                field: "decision", code: "invalid_choice",
                reason: "must be one of: " + Review.Verdict.allCases.map(\.rawValue).joined(separator: ", ")
            )) }
        case nil: errors.append(FieldError(field: "decision", code: "required", reason: "is required"))
        case let other?: errors.append(FieldError(field: "decision", code: "wrong_type", reason: "must be a string, not \(other.typeName)"))
        }
        var reason: ReviewReason?
        switch object["reason"] {
        case .string(let text)?:
            reason = ReviewReason(text)
            if reason == nil { errors.append(FieldError(field: "reason", code: "invalid_reason", reason: ReviewReason.rule)) }
        case nil: errors.append(FieldError(field: "reason", code: "required", reason: "is required"))
        case let other?: errors.append(FieldError(field: "reason", code: "wrong_type", reason: "must be a string, not \(other.typeName)"))
        }
        for name in object.keys.sorted() where name != "decision" && name != "reason" {
            errors.append(FieldError(field: name, code: "unknown_field", reason: "is not a field of a review decision"))
        }
        guard errors.isEmpty, let verdict, let reason else { throw ValidationFailed(errors) }
        return (verdict, reason)
    }
}
