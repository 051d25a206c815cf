import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// Request counts and latency histograms by route template, method and status, kept in the
/// application's own Prometheus registry (no global metrics state).
public final class HTTPMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Refreshes sampled gauges (the database pool) just before `/metrics` is rendered.
    let beforeScrape: @Sendable (PrometheusCollectorRegistry) -> Void

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = .init(), beforeScrape: @escaping @Sendable (PrometheusCollectorRegistry) -> Void = { _ in }) {
        self.registry = registry
        self.beforeScrape = beforeScrape
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(
            descriptor: .init(namespace: "custos", subsystem: "http", metricName: "requests", unitName: "total",
                              helpText: "HTTP requests answered, by route template, method and status"),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "custos", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                              helpText: "HTTP request latency, by route template, method and status"),
            labels: labels, buckets: Self.latencyBuckets
        ).record(duration)
    }

    func render() -> String {
        beforeScrape(registry)
        return registry.emitToString()
    }
}

struct MetricsMiddleware: RouterMiddleware {
    typealias Context = CustosRequestContext
    let metrics: HTTPMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.record(route: context.routeLabel, method: request.method.rawValue, status: response.status.code,
                       duration: ContinuousClock.now - start)
        return response
    }
}
