import HTTPTypes
import Domain
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/transactions`, `GET /v1/transactions/{id}` and `GET /v1/transactions?counterparty_account=`:
/// a driving adapter over the use cases.
struct TransactionRoutes {
    let record: RecordTransaction
    let get: GetTransaction
    let find: FindTransactions
    let listAll: ListTransactions
    let decision: GetDecision
    let replay: ReplayDecision
    let idempotent: RunIdempotently
    let bodyBytesMax: Int

    func register(on group: RouterGroup<CustosRequestContext>, scoped: Scoped) {
        group.post("transactions", use: scoped(.transactionsWrite, create))
        group.get("transactions", use: scoped(.transactionsRead, list))
        group.get("transactions/{id}", use: scoped(.transactionsRead, show))
        group.get("transactions/{id}/decision", use: scoped(.transactionsRead, showDecision))
        group.get("transactions/{id}/decision/replay", use: scoped(.transactionsRead, replayDecision))
    }

    /// The tenant's transactions, newest first, in pages (`limit` 1 to 100, default 50; `cursor`
    /// from the previous page). With `counterparty_account`, only exact matches through its blind index.
    @Sendable func list(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let query = request.uri.queryParameters
        if let account = query["counterparty_account"].map(String.init) {
            guard !account.isEmpty else { throw ProblemError(.badRequest, detail: "counterparty_account is empty") }
            guard account.unicodeScalars.count <= AccountIdentifier.lengthMax else {
                throw ProblemError(.badRequest, detail: "counterparty_account is at most \(AccountIdentifier.lengthMax) characters")
            }
            let page = try PageQuery(request, list: FindTransactions.list, limitMax: FindTransactions.limitMax)
            let found = try await find(
                counterpartyAccount: account, tenant: tenant, after: page.cursor, limit: page.limit, context: context.auditContext
            )
            return JSONBody.response(TransactionJSON.ListResponse(found), status: .ok)
        }
        let page = try PageQuery(request, list: ListTransactions.list, limitMax: ListTransactions.limitMax)
        let listed = try await listAll(tenant: tenant, after: page.cursor, limit: page.limit, context: context.auditContext)
        return JSONBody.response(TransactionJSON.ListResponse(listed), status: .ok)
    }

    /// Records a transaction; with an `Idempotency-Key`, at most once per client and key: a retry
    /// with the same body gets the first answer again (`Idempotency-Replayed: true`).
    @Sendable func create(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let tenant = principal.tenant
        let object: [String: JSONValue]
        let keyed: IdempotentRequest?
        do {
            try Self.requireJSON(request)
            let body = try await request.body.collect(upTo: bodyBytesMax)
            keyed = try IdempotencyHeader.request(request, principal: principal, route: "POST /v1/transactions", body: body)
            object = try JSONValue.object(from: Data(buffer: body))
        } catch {
            // Refused before it could be read as a transaction: audited as a failure, without content.
            let reason = (error as? ProblemError)?.type.slug
                ?? (error is NIOTooManyBytesError ? ProblemType.bodyTooLarge.slug : "body-unreadable")
            try await record.recordRejection(tenant: tenant, context: context.auditContext, reason: reason)
            throw error
        }
        let draft = TransactionJSON.draft(from: object)
        switch try await idempotent(keyed, create: { try await record(
            draft, tenant: tenant, context: context.auditContext, submittedBy: principal.client, idempotency: $0
        ) }) {
        case .created(let transaction):
            return Self.created(transaction)
        case .replayed(let outcome):
            // The fingerprint names the route, so a match is always one of this route's outcomes.
            guard case .transaction(let id) = outcome.resource else { preconditionFailure("a transaction route's outcome") }
            // As it was recorded: a review since does not change the answer being replayed.
            var response = Self.created(try await get(id: id, tenant: tenant, context: context.auditContext).asRecorded)
            IdempotencyHeader.markReplayed(&response)
            return response
        }
    }

    /// 201 with the transaction as it was recorded, and its `Location`.
    static func created(_ transaction: Transaction) -> Response {
        var response = JSONBody.response(TransactionJSON.Response(transaction), status: .created)
        response.headers[.location] = "/v1/transactions/\(transaction.id)"
        return response
    }

    /// A malformed id names no transaction: the same 404 as an unknown or foreign one.
    private func transactionID(_ context: CustosRequestContext) throws -> TransactionID {
        guard let id = context.parameters.get("id").flatMap(TransactionID.init(string:)) else {
            throw ProblemError(.transactionNotFound, detail: "no transaction with this id exists for this tenant")
        }
        return id
    }

    /// The recorded decision: `DecisionRecord` without its salt, with the transaction's id and status.
    @Sendable func showDecision(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try transactionID(context)
        let (status, record) = try await decision(of: id, tenant: tenant, context: context.auditContext)
        guard case .object(let object) = record.canonicalJSON else { preconditionFailure("a record is an object") }
        var members = object.members.filter { $0.name != "input_salt" }
        members.append(.init(name: "transaction_id", value: .string(id.description)))
        members.append(.init(name: "status", value: .string(status.rawValue)))
        guard let body = CanonicalJSON.Object(uniqueMembers: members) else { preconditionFailure("names are distinct") }
        return Self.canonicalResponse(.object(body))
    }

    /// Replays the recorded decision against its stored bundle and says whether it came out the same.
    @Sendable func replayDecision(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try transactionID(context)
        let replayed = try await replay(of: id, tenant: tenant, context: context.auditContext)
        let body: CanonicalJSON = [
            "transaction_id": .string(id.description),
            "decision_id": .string(replayed.recorded.decision.id.uuidString.lowercased()),
            "bundle_hash": .string(replayed.recorded.decision.bundleHash),
            "matches": .bool(replayed.matches),
            "differences": .array(replayed.differences.map { .string($0) }),
            "recorded": ["outcome": .string(replayed.recorded.decision.outcome.rawValue),
                         "score": CanonicalJSON(exactly: replayed.recorded.decision.score) ?? .null,
                         "input_digest": .string(replayed.recorded.decision.inputDigest)],
            "replayed": ["outcome": .string(replayed.replayed.outcome.rawValue),
                         "score": CanonicalJSON(exactly: replayed.replayed.score) ?? .null,
                         "input_digest": .string(replayed.replayed.inputDigest)],
        ]
        return Self.canonicalResponse(body)
    }

    static func canonicalResponse(_ body: CanonicalJSON) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.canonicalBytes)))
    }

    @Sendable func show(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try transactionID(context)
        let transaction = try await get(id: id, tenant: tenant, context: context.auditContext)
        return JSONBody.response(TransactionJSON.Response(transaction), status: .ok)
    }

    /// `application/json` or any `+json` type, with optional parameters.
    static func requireJSON(_ request: Request) throws {
        let mediaType = request.headers[.contentType]?
            .split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw ProblemError(.unsupportedMediaType, detail: "send the body as application/json")
        }
    }
}
