import Domain
import Logging
import ServiceLifecycle

/// Signs a checkpoint for every log that has grown, twice a second, so that no entry waits
/// more than a second for a signed checkpoint (docs/audit-log.md §5.1). Runs in the server's
/// service group and stops on graceful shutdown.
struct CheckpointService: Service {
    static let interval = Duration.milliseconds(500)
    static let logsPerRoundMax = 1_000
    /// A log whose checkpoint was refused is tried again (and reported again) after this long,
    /// not every round: a refusal needs a person, and a rebuild reads the whole log.
    static let refusalBackoff = Duration.seconds(60)

    let store: any AuditLogStore
    let sign: SignCheckpoint
    let logger: Logger

    func run() async throws {
        // Sleep first: the pool starts beside this service, and a round needs it running.
        var refused: [String: ContinuousClock.Instant] = [:]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: Self.interval)
            await signRound(refused: &refused)
        }
    }

    /// One pass over the logs awaiting a checkpoint. A refusal (a fork, or stored entries that
    /// disagree) is logged as critical and the log is left unsigned: it needs a person.
    func signRound(refused: inout [String: ContinuousClock.Instant]) async {
        let origins: [String]
        do {
            origins = try await store.originsAwaitingCheckpoint(limit: Self.logsPerRoundMax)
        } catch {
            logger.warning("checkpointing: cannot list logs", metadata: ["error": .string(String(describing: error))])
            return
        }
        let now = ContinuousClock.now
        refused = refused.filter { $0.value > now }
        for origin in origins where refused[origin] == nil {
            do {
                try await sign(origin: origin)
            } catch let refusal as SignCheckpoint.Refusal {
                refused[origin] = now + Self.refusalBackoff
                logger.critical("audit log refused a checkpoint", metadata: ["origin": .string(origin), "reason": .string(refusal.description)])
            } catch {
                logger.warning("checkpointing failed", metadata: ["origin": .string(origin), "error": .string(String(describing: error))])
            }
        }
    }
}
