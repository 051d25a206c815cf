import Domain
import Logging
import ServiceLifecycle

/// Signs a checkpoint for every log that has grown, twice a second, so that no entry waits
/// more than a second for a signed checkpoint (docs/audit-log.md §5.1). Runs in the server's
/// service group and stops on graceful shutdown.
struct CheckpointService: Service {
    static let interval = Duration.milliseconds(500)
    static let logsPerRoundMax = 1_000

    let store: any AuditLogStore
    let sign: SignCheckpoint
    let logger: Logger

    func run() async throws {
        // Sleep first: the pool starts beside this service, and a round needs it running.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: Self.interval)
            await signRound()
        }
    }

    /// One pass over the logs awaiting a checkpoint. A refusal (a fork, or stored entries that
    /// disagree) is logged as critical and the log is left unsigned: it needs a person.
    func signRound() async {
        let origins: [String]
        do {
            origins = try await store.originsAwaitingCheckpoint(limit: Self.logsPerRoundMax)
        } catch {
            logger.warning("checkpointing: cannot list logs", metadata: ["error": .string(String(describing: error))])
            return
        }
        for origin in origins {
            do {
                try await sign(origin: origin)
            } catch let refusal as SignCheckpoint.Refusal {
                logger.critical("audit log refused a checkpoint", metadata: ["origin": .string(origin), "reason": .string(refusal.description)])
            } catch {
                logger.warning("checkpointing failed", metadata: ["origin": .string(origin), "error": .string(String(describing: error))])
            }
        }
    }
}
