import HTTPInterface
import Logging
import PostgresAdapters
import PostgresNIO
import Synchronization

/// `/readyz`: the database answers within the time limit and its schema matches this build's migrations.
struct DatabaseReadiness: ReadinessCheck {
    static let timeLimit = Duration.seconds(2)

    let client: PostgresClient
    let migrator: PostgresMigrator
    let migrations: MigrationSet
    let logger: Logger

    func check() async -> ReadinessReport {
        let timedOut = ReadinessReport(checks: [
            .init(name: "database", ok: false, detail: "no answer within \(Self.timeLimit)"),
        ])
        return await firstOf(probe, orAfter: Self.timeLimit, timedOut)
    }

    private func probe() async -> ReadinessReport {
        do {
            _ = try await client.query("SELECT 1", logger: logger)
        } catch {
            logger.warning("readiness: database unreachable", metadata: ["error": .string(String(describing: error))])
            return ReadinessReport(checks: [.init(name: "database", ok: false, detail: "unreachable")])
        }
        let database = ReadinessReport.Check(name: "database", ok: true, detail: "reachable")
        do {
            let status = try await migrator.status(of: migrations)
            let notApplied = status.entries.filter { $0.state != .applied }
            let detail = notApplied.isEmpty
                ? "\(status.entries.count) applied"
                : notApplied.map { "\($0.name) \($0.state.rawValue)" }.joined(separator: ", ")
            return ReadinessReport(checks: [database, .init(name: "migrations", ok: notApplied.isEmpty, detail: detail)])
        } catch {
            return ReadinessReport(checks: [database, .init(name: "migrations", ok: false, detail: "status unavailable")])
        }
    }
}

/// The result of `operation`, or `fallback` once `limit` has passed, whichever comes first.
/// A hard bound: unlike a task group, it does not wait for an operation that ignores
/// cancellation (a query stuck on a dead connection); that operation is cancelled and left to end.
func firstOf<Value: Sendable>(
    _ operation: @escaping @Sendable () async -> Value, orAfter limit: Duration, _ fallback: Value
) async -> Value {
    let race = Race<Value>()
    let value = await withCheckedContinuation { continuation in
        race.start(continuation, operation: operation, limit: limit, fallback: fallback)
    }
    race.cancelAll()
    return value
}

/// Resumes its continuation exactly once, with whichever contestant finishes first.
private final class Race<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, Never>?, tasks: [Task<Void, Never>])>((nil, []))

    func start(
        _ continuation: CheckedContinuation<Value, Never>, operation: @escaping @Sendable () async -> Value,
        limit: Duration, fallback: Value
    ) {
        state.withLock { $0.continuation = continuation }
        let work = Task { self.finish(await operation()) }
        let timer = Task {
            try? await Task.sleep(for: limit)
            self.finish(fallback)
        }
        state.withLock { $0.tasks = [work, timer] }
    }

    func finish(_ value: Value) {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
    }

    func cancelAll() {
        state.withLock { $0.tasks }.forEach { $0.cancel() }
    }
}
