import Domain
import HTTPTypes
import Hummingbird
import NIOCore

/// `Idempotency-Key` on creating POSTs (draft-ietf-httpapi-idempotency-key-header): optional; a
/// replayed answer carries `Idempotency-Replayed: true`.
enum IdempotencyHeader {
    static let key = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotency-Replayed")!

    /// The keyed request, nil without the header. `route` names the operation (`POST /v1/transactions`)
    /// so that one key cannot be replayed on another route. Two headers, or a key that breaks the
    /// rule, are a 400. The body is copied for its fingerprint only when there is a key.
    static func request(_ request: Request, principal: Principal, route: String, body: ByteBuffer) throws -> IdempotentRequest? {
        let values = request.headers[values: key]
        guard !values.isEmpty else { return nil }
        guard values.count == 1, let parsed = IdempotencyKey(header: values[0]) else {
            throw ProblemError(.invalidIdempotencyKey, detail: "send one Idempotency-Key, which \(IdempotencyKey.rule)")
        }
        return IdempotentRequest(
            tenant: principal.tenant, client: principal.client, key: parsed,
            method: request.method.rawValue, route: route, body: Array(buffer: body)
        )
    }

    /// Marks a response as the replay of an earlier one.
    static func markReplayed(_ response: inout Response) {
        response.headers[replayed] = "true"
    }
}
