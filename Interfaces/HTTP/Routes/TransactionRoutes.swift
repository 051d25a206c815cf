import HTTPTypes
import Domain
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/transactions` and `GET /v1/transactions/{id}`: a driving adapter over the use cases.
struct TransactionRoutes {
    let record: RecordTransaction
    let get: GetTransaction
    let bodyBytesMax: Int

    func register(on group: RouterGroup<CustosRequestContext>) {
        group.post("transactions", use: create)
        group.get("transactions/{id}", use: show)
    }

    @Sendable func create(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let object: [String: JSONValue]
        do {
            try Self.requireJSON(request)
            let body = try await request.body.collect(upTo: bodyBytesMax)
            object = try JSONValue.object(from: Data(buffer: body))
        } catch {
            // Refused before it could be read as a transaction: audited as a failure, without content.
            let reason = (error as? ProblemError)?.type.slug
                ?? (error is NIOTooManyBytesError ? ProblemType.bodyTooLarge.slug : "body-unreadable")
            try await record.recordRejection(tenant: tenant, context: context.auditContext, reason: reason)
            throw error
        }
        let transaction = try await record(TransactionJSON.draft(from: object), tenant: tenant, context: context.auditContext)
        var response = JSONBody.response(TransactionJSON.Response(transaction), status: .created)
        response.headers[.location] = "/v1/transactions/\(transaction.id)"
        return response
    }

    @Sendable func show(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        // A malformed id names no transaction: the same 404 as an unknown or foreign one.
        guard let id = context.parameters.get("id").flatMap(TransactionID.init(string:)) else {
            throw ProblemError(.transactionNotFound, detail: "no transaction with this id exists for this tenant")
        }
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
