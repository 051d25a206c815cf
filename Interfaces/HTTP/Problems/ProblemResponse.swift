import Domain
import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem details document. Extension members: `request_id`, and `errors`
/// (every rejected field) on validation failures.
struct ProblemDocument: Encodable {
    struct FieldProblem: Encodable {
        let field: String
        let code: String
        let reason: String
    }

    let type: String
    let title: String
    let status: Int
    let detail: String
    let instance: String?
    let requestID: String
    let errors: [FieldProblem]?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance, errors
        case requestID = "request_id"
    }

    init(_ problem: ProblemType, detail: String, instance: String?, requestID: String, fieldErrors: [FieldError]? = nil) {
        self.type = problem.uri
        self.title = problem.title
        self.status = problem.status.code
        self.detail = detail
        self.instance = instance
        self.requestID = requestID
        self.errors = fieldErrors?.map { FieldProblem(field: $0.field, code: $0.code, reason: $0.reason) }
    }

    func response(extraHeaders: HTTPFields = [:]) -> Response {
        var headers = extraHeaders
        headers[.contentType] = "application/problem+json"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: JSONBody.encode(self))
        )
    }
}

/// JSON bodies: keys sorted, so output is byte-for-byte reproducible.
enum JSONBody {
    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return ByteBuffer(data: try encoder.encode(value))
        } catch {
            preconditionFailure("encoding a response value cannot fail: \(error)")
        }
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: encode(value))
        )
    }
}
