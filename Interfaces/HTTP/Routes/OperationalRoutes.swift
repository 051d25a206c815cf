import HTTPTypes
import Hummingbird

/// What `/readyz` asks of the running system (database reachable, schema current).
public protocol ReadinessCheck: Sendable {
    func check() async -> ReadinessReport
}

public struct ReadinessReport: Sendable, Encodable {
    public struct Check: Sendable, Encodable {
        public let name: String
        public let ok: Bool
        /// A short, secret-free explanation.
        public let detail: String
        public init(name: String, ok: Bool, detail: String) {
            self.name = name
            self.ok = ok
            self.detail = detail
        }
    }

    public let checks: [Check]
    public var ready: Bool { checks.allSatisfy(\.ok) }

    public init(checks: [Check]) {
        self.checks = checks
    }

    enum CodingKeys: String, CodingKey { case status, checks }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ready ? "ready" : "not_ready", forKey: .status)
        try container.encode(checks, forKey: .checks)
    }
}

/// `/healthz` (the process answers), `/readyz` (it can serve traffic), `/metrics` (Prometheus).
struct OperationalRoutes {
    let readiness: any ReadinessCheck
    let metrics: HTTPMetrics

    func register(on router: Router<CustosRequestContext>) {
        router.get("healthz") { _, _ in
            JSONBody.response(["status": "ok"], status: .ok)
        }
        router.get("readyz") { request, context in
            let report = await readiness.check()
            guard report.ready else {
                let failing = report.checks.filter { !$0.ok }.map { "\($0.name): \($0.detail)" }.joined(separator: "; ")
                var response = ProblemDocument(
                    .notReady, detail: failing, instance: request.uri.path, requestID: context.requestID
                ).response()
                response.headers[.retryAfter] = "5"
                return response
            }
            return JSONBody.response(report, status: .ok)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render()))
            )
        }
    }
}
