import HTTPInterface
import Logging
import PostgresAdapters
import PostgresNIO

/// `/readyz`: the database answers within the time limit and its schema matches this build's migrations.
struct DatabaseReadiness: ReadinessCheck {
    static let timeLimit = Duration.seconds(2)

    let client: PostgresClient
    let migrator: PostgresMigrator
    let migrations: MigrationSet
    let logger: Logger

    func check() async -> ReadinessReport {
        let outcome = await withTaskGroup(of: ReadinessReport?.self) { group in
            group.addTask { await probe() }
            group.addTask {
                try? await Task.sleep(for: Self.timeLimit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return outcome ?? ReadinessReport(checks: [
            .init(name: "database", ok: false, detail: "no answer within \(Self.timeLimit)"),
        ])
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
