import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What the token endpoint needs: the grant, and the public keys to publish (the current
/// signing key first, then older ones whose tokens may still be live).
public struct TokenEndpoint: Sendable {
    public let issue: IssueAccessToken
    public let keys: [TokenVerificationKey]

    public init(issue: IssueAccessToken, keys: [TokenVerificationKey]) {
        precondition(!keys.isEmpty, "at least the signing key is published")
        self.issue = issue
        self.keys = keys
    }
}

/// `POST /oauth/token` (RFC 6749 §4.4, the client-credentials grant; client authentication by
/// HTTP Basic or by form fields, never both, §2.3.1) and `GET /.well-known/jwks.json`.
/// Errors follow RFC 6749 §5.2 (`{"error": …}`), which is what OAuth clients parse; the
/// endpoint answers `Cache-Control: no-store` always.
struct TokenRoutes {
    let endpoint: TokenEndpoint
    /// A token request is a short form.
    static let bodyBytesMax = 4_096

    func register(on router: Router<CustosRequestContext>) {
        router.post("oauth/token", use: token)
        router.get(".well-known/jwks.json") { _, _ in
            let keys: CanonicalJSON = .object(.init(["keys": .array(endpoint.keys.map(\.jwk))]))
            return Response(
                status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: keys.canonicalBytes))
            )
        }
    }

    struct OAuthError: Error {
        let code: String
        let status: HTTPResponse.Status
    }

    @Sendable func token(_ request: Request, context: CustosRequestContext) async throws -> Response {
        do {
            let form = try await Self.form(request)
            guard form["grant_type"] == "client_credentials" else {
                throw form["grant_type"] == nil ? OAuthError(code: "invalid_request", status: .badRequest)
                    : OAuthError(code: "unsupported_grant_type", status: .badRequest)
            }
            let (id, secret) = try Self.credentials(request, form)
            let issued: IssueAccessToken.Issued
            do {
                issued = try await endpoint.issue(clientID: id, secret: secret, scope: form["scope"], context: context.auditContext)
            } catch TokenRequestError.invalidClient {
                throw OAuthError(code: "invalid_client", status: .unauthorized)
            } catch TokenRequestError.invalidScope {
                throw OAuthError(code: "invalid_scope", status: .badRequest)
            } catch TokenRequestError.temporarilyUnavailable {
                throw OAuthError(code: "temporarily_unavailable", status: .serviceUnavailable)
            }
            let body: CanonicalJSON = .object(.init([
                "access_token": .string(issued.token), "token_type": "Bearer",
                "expires_in": CanonicalJSON(exactly: issued.expiresInSeconds) ?? .null,
                "scope": .string(issued.claims.scopes.map(\.rawValue).joined(separator: " ")),
            ]))
            return Self.response(.ok, body)
        } catch let error as OAuthError {
            var response = Self.response(error.status, .object(.init(["error": .string(error.code)])))
            if error.status == .unauthorized { response.headers[.wwwAuthenticate] = #"Basic realm="custos""# }
            if error.status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
            return response
        }
    }

    static func response(_ status: HTTPResponse.Status, _ body: CanonicalJSON) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.canonicalBytes))
        )
    }

    /// The form body: `application/x-www-form-urlencoded`, at most `bodyBytesMax` bytes, each
    /// parameter at most once (RFC 6749 §3.2).
    static func form(_ request: Request) async throws -> [String: String] {
        guard let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
              type == "application/x-www-form-urlencoded"
        else { throw OAuthError(code: "invalid_request", status: .badRequest) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: bodyBytesMax)
        } catch {
            throw OAuthError(code: "invalid_request", status: .badRequest)
        }
        var form: [String: String] = [:]
        for pair in String(decoding: body.readableBytesView, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count == 2 ? parts[1] : ""), form[name] == nil else {
                throw OAuthError(code: "invalid_request", status: .badRequest)
            }
            form[name] = value
        }
        return form
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, then percent-decoding.
    static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The client's id and secret, from `Authorization: Basic` (each form-urlencoded, §2.3.1)
    /// or from the `client_id` and `client_secret` fields; both at once is refused.
    static func credentials(_ request: Request, _ form: [String: String]) throws -> (String, String) {
        let inForm = form["client_id"] != nil || form["client_secret"] != nil
        if let header = request.headers[.authorization] {
            guard !inForm, header.count <= 1_024, header.lowercased().hasPrefix("basic "),
                  let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8),
                  let colon = text.firstIndex(of: ":"),
                  let id = decode(text[..<colon]), let secret = decode(text[text.index(after: colon)...])
            else { throw OAuthError(code: inForm ? "invalid_request" : "invalid_client", status: inForm ? .badRequest : .unauthorized) }
            return (id, secret)
        }
        guard let id = form["client_id"], let secret = form["client_secret"] else { throw OAuthError(code: "invalid_client", status: .unauthorized) }
        return (id, secret)
    }
}
