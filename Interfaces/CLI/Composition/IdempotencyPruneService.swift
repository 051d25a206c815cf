import Domain
import Logging
import ServiceLifecycle

/// Forgets idempotency keys past their retention, every ten minutes, in runs of at most
/// `PruneIdempotencyKeys.keysPerRunMax` rows. Runs in the server's service group. Several servers
/// on one database each prune; a row is deleted once, whoever gets it.
struct IdempotencyPruneService: Service {
    static let interval = Duration.seconds(600)
    static let runsPerRoundMax = 100

    let prune: PruneIdempotencyKeys
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Sleep first: the pool starts beside this service, and a round needs it running. A
            // graceful shutdown ends the sleep at once.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            var pruned = 0
            do {
                for _ in 0..<Self.runsPerRoundMax {
                    let count = try await prune()
                    pruned += count
                    if count < PruneIdempotencyKeys.keysPerRunMax { break }
                }
            } catch {
                logger.warning("idempotency keys: pruning failed", metadata: ["error": .string(String(describing: error))])
            }
            if pruned > 0 { logger.info("idempotency keys pruned", metadata: ["keys": .stringConvertible(pruned)]) }
        }
    }
}
