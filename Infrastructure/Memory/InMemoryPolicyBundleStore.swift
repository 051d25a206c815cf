import Domain
import Synchronization

/// Policy bundles and activations in process memory; written by `InMemoryRecordKeeper` together
/// with the activation's audit entry, as the PostgreSQL adapter is by its keeper.
public final class InMemoryPolicyBundleStore: PolicyBundleStore {
    private let state = Mutex<(bundles: [String: [UInt8]], activations: [PolicyActivation])>(([:], []))

    public init() {}

    func check(_ stored: StoredPolicyBundle, _ activation: PolicyActivation) {
        precondition(stored.hash == activation.hash, "an activation names the bundle it stores")
    }

    func apply(_ stored: StoredPolicyBundle, _ activation: PolicyActivation) {
        state.withLock { state in
            if state.bundles[stored.hash] == nil { state.bundles[stored.hash] = stored.content }
            state.activations.append(activation)
        }
    }

    public func activeActivation() async throws -> PolicyActivation? {
        state.withLock { $0.activations.last }
    }

    public func bundle(hash: String) async throws -> (StoredPolicyBundle, PolicyBundle)? {
        guard let content = state.withLock({ $0.bundles[hash] }) else { return nil }
        return try StoredPolicyBundle.restored(hash: hash, content: content)
    }
}

/// An `ActivePolicySource` that always gives one compiled bundle (or none): for tests.
public struct FixedPolicySource: ActivePolicySource {
    private let bundle: CompiledBundle?
    public init(_ bundle: CompiledBundle?) { self.bundle = bundle }
    public func current() async throws -> CompiledBundle? { bundle }
}
