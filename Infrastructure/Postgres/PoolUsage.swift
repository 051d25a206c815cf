import Synchronization

/// Counts the connection leases Custos's adapters hold, for the database pool gauges on
/// `/metrics` (postgres-nio keeps its own pool statistics private).
public final class PoolUsage: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public let leasesInUse: Int
        public let leasesTotal: Int
    }

    public let connectionsMax: Int
    private let state = Mutex<(inUse: Int, total: Int)>((0, 0))

    public init(connectionsMax: Int) {
        self.connectionsMax = connectionsMax
    }

    public var snapshot: Snapshot {
        state.withLock { Snapshot(leasesInUse: $0.inUse, leasesTotal: $0.total) }
    }

    /// Runs `body` while counting one lease in use.
    func track<Result>(_ body: () async throws -> Result) async throws -> Result {
        state.withLock { $0.inUse += 1; $0.total += 1 }
        defer { state.withLock { $0.inUse -= 1 } }
        return try await body()
    }
}
