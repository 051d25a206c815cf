import Domain
import Synchronization

/// The active bundle, read from a `PolicyBundleStore` and compiled once per activation: at most
/// every `checkEvery` it asks the store which bundle is active (one small query), and compiles a
/// new one only when the hash changed. Concurrent requests share one check. An activation
/// therefore takes effect on every server within `checkEvery`; the decision records the hash of
/// the bundle that made it, so the window is visible, never silent.
public final class RefreshingPolicySource: ActivePolicySource {
    public static let checkEveryDefault = Duration.seconds(5)

    private struct State {
        var compiled: CompiledBundle?
        var checkedAt: ContinuousClock.Instant?
        var inFlight: Task<CompiledBundle?, any Error>?
    }

    private let store: any PolicyBundleStore
    private let checkEvery: Duration
    private let state = Mutex(State())

    public init(store: any PolicyBundleStore, checkEvery: Duration = RefreshingPolicySource.checkEveryDefault) {
        precondition(checkEvery >= .zero, "a non-negative interval")
        self.store = store
        self.checkEvery = checkEvery
    }

    public func current() async throws -> CompiledBundle? {
        let now = ContinuousClock.now
        let task = state.withLock { state -> Task<CompiledBundle?, any Error>? in
            if let checkedAt = state.checkedAt, now - checkedAt < checkEvery { return nil }
            if let inFlight = state.inFlight { return inFlight }
            let previous = state.compiled
            let made = Task { try await self.refresh(previous) }
            state.inFlight = made
            return made
        }
        guard let task else { return state.withLock { $0.compiled } }
        do {
            let compiled = try await task.value
            state.withLock { state in
                if state.inFlight == task {
                    state.compiled = compiled
                    state.checkedAt = now
                    state.inFlight = nil
                }
            }
            return compiled
        } catch {
            state.withLock { state in if state.inFlight == task { state.inFlight = nil } }
            throw error
        }
    }

    private func refresh(_ previous: CompiledBundle?) async throws -> CompiledBundle? {
        guard let activation = try await store.activeActivation() else { return nil }
        if let previous, previous.bundleHash == activation.hash { return previous }
        guard let (_, bundle) = try await store.bundle(hash: activation.hash) else {
            throw PolicyError(policy: nil, path: [], "the active bundle \(activation.hash) is not stored")
        }
        return try CompiledBundle(bundle)
    }
}
