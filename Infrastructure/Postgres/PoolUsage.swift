import Synchronization

/// Counts the database operations Custos's repositories have in flight (waiting for a pooled
/// connection or using one), for the gauges on `/metrics`. postgres-nio keeps its own pool
/// statistics private, so this is measured at the adapters; migrations and readiness probes
/// are not counted.
public final class PoolUsage: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public let operationsInFlight: Int
        public let operationsTotal: Int
    }

    public let connectionsMax: Int
    private let state = Mutex<(inUse: Int, total: Int)>((0, 0))

    public init(connectionsMax: Int) {
        self.connectionsMax = connectionsMax
    }

    public var snapshot: Snapshot {
        state.withLock { Snapshot(operationsInFlight: $0.inUse, operationsTotal: $0.total) }
    }

    /// Runs `body` while counting one operation in flight.
    func track<Result>(_ body: () async throws -> Result) async throws -> Result {
        state.withLock { $0.inUse += 1; $0.total += 1 }
        defer { state.withLock { $0.inUse -= 1 } }
        return try await body()
    }
}
