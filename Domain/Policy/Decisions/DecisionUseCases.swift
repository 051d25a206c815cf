/// Makes a bundle the active one: stores its canonical content under its hash (once) and records
/// the activation, with a `policy.bundle_activated` entry in the system log, in one atomic step.
/// Activating the bundle that is already active changes nothing and is not logged again.
public struct ActivatePolicyBundle: Sendable {
    private let store: any PolicyBundleStore
    private let keeper: any RecordKeeper
    private let clock: any Clock

    public init(store: any PolicyBundleStore, keeper: any RecordKeeper, clock: any Clock) {
        self.store = store
        self.keeper = keeper
        self.clock = clock
    }

    public enum Result: Sendable, Hashable {
        case activated(PolicyActivation, previous: String?)
        case alreadyActive(PolicyActivation)
    }

    /// `bundle` must compile (it is compiled here before anything is written).
    public func callAsFunction(_ bundle: CompiledBundle, context: AuditContext) async throws -> Result {
        let stored = StoredPolicyBundle(bundle.bundle)
        precondition(stored.hash == bundle.bundleHash, "the stored content is what was compiled")
        let previous = try await store.activeActivation()
        if let previous, previous.hash == stored.hash { return .alreadyActive(previous) }
        let activation = PolicyActivation(hash: stored.hash, activatedAt: clock.now(), actor: context.actor)
        let event = AuditEvent(
            scope: .system, eventType: "policy.bundle_activated", context: context, outcome: .success,
            resourceType: "policy_bundle", resourceID: stored.hash,
            details: [
                "previous": previous.map { .string($0.hash) } ?? .null,
                "content_bytes": CanonicalJSON(exactly: stored.content.count) ?? .null,
                "policies": .array(bundle.bundle.policies.map { .array([.string($0.id), .string($0.version), .string($0.status.rawValue)]) }),
            ]
        )
        _ = try await keeper.commit(AuditedChange(writes: [.activatePolicyBundle(stored, activation)], events: [event]))
        return .activated(activation, previous: previous?.hash)
    }
}

/// A transaction has no recorded decision (recorded before decisions existed).
public struct DecisionNotFound: DomainError, CustomStringConvertible {
    public let transaction: TransactionID
    public var slug: String { "decision-not-found" }
    public var description: String { "transaction \(transaction) has no recorded decision" }
}

/// Reads a transaction's recorded decision and status; the read is audited (the decision's trace
/// says why a customer's payment was held). No protected field is opened.
public struct GetDecision: Sendable {
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper

    public init(repository: any TransactionRepository, keeper: any RecordKeeper) {
        self.repository = repository
        self.keeper = keeper
    }

    public func callAsFunction(of id: TransactionID, tenant: TenantID, context: AuditContext) async throws -> (TransactionStatus, DecisionRecord) {
        let stored = try await repository.transaction(id: id, tenant: tenant)
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "transaction.decision_read", context: context,
            outcome: stored?.decision == nil ? .failure : .success, resourceType: "transaction", resourceID: id.description
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        guard let stored else { throw TransactionError.notFound(id) }
        precondition(stored.id == id && stored.tenantID == tenant, "repository returned a foreign row")
        guard let decision = stored.decision else { throw DecisionNotFound(transaction: id) }
        return (stored.currentStatus, decision)
    }
}

/// What replaying a recorded decision gave.
public struct DecisionReplay: Sendable, Hashable {
    public let recorded: DecisionRecord
    public let replayed: Decision
    /// Each way the replay differs from the record; empty when it reproduced it exactly.
    public let differences: [String]
    public var matches: Bool { differences.isEmpty }
}

/// Replays a transaction's decision (docs/policies.md §7): rebuilds its input from the stored
/// transaction (opening its protected fields, so the replay is audited as a read) and the
/// recorded features, checks the input digest, evaluates the bundle with the recorded hash as it
/// was stored at activation, and compares outcome, score, policy results and trace.
public struct ReplayDecision: Sendable {
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper
    private let fields: FieldProtection
    private let bundles: any PolicyBundleStore

    public init(repository: any TransactionRepository, keeper: any RecordKeeper, fields: FieldProtection, bundles: any PolicyBundleStore) {
        self.repository = repository
        self.keeper = keeper
        self.fields = fields
        self.bundles = bundles
    }

    public func callAsFunction(of id: TransactionID, tenant: TenantID, context: AuditContext) async throws -> DecisionReplay {
        let stored = try await repository.transaction(id: id, tenant: tenant)
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "transaction.decision_replayed", context: context,
            outcome: stored?.decision == nil ? .failure : .success, resourceType: "transaction", resourceID: id.description
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        guard let stored else { throw TransactionError.notFound(id) }
        precondition(stored.id == id && stored.tenantID == tenant, "repository returned a foreign row")
        guard let record = stored.decision else { throw DecisionNotFound(transaction: id) }
        let transaction = try fields.open(stored)
        guard let found = try await bundles.bundle(hash: record.decision.bundleHash) else {
            throw PolicyError(policy: nil, path: [], "bundle \(record.decision.bundleHash) is not stored")
        }
        let bundle = try CompiledBundle(found.1)
        let input = DecisionInput.document(for: transaction, features: record.features)
        let replayed = bundle.evaluate(input, decisionID: record.decision.id, salt: record.decision.inputSalt)
        return DecisionReplay(recorded: record, replayed: replayed, differences: Self.differences(record.decision, replayed, transaction))
    }

    /// How `replayed` differs from `recorded` (empty: not at all), in words an operator can act on.
    public static func differences(_ recorded: Decision, _ replayed: Decision, _ transaction: Transaction) -> [String] {
        var found: [String] = []
        if transaction.counterpartyAccount == .erased || transaction.counterpartyName == .erased {
            found.append("protected fields are erased (the subject was shredded): the input cannot be rebuilt")
        }
        if replayed.bundleHash != recorded.bundleHash { found.append("bundle hash \(replayed.bundleHash) ≠ recorded \(recorded.bundleHash)") }
        if replayed.inputDigest != recorded.inputDigest { found.append("input digest differs: the stored transaction or features changed") }
        if replayed.outcome != recorded.outcome { found.append("outcome \(replayed.outcome.rawValue) ≠ recorded \(recorded.outcome.rawValue)") }
        if replayed.score != recorded.score { found.append("score \(replayed.score) ≠ recorded \(recorded.score)") }
        if replayed.policies != recorded.policies { found.append("policy results differ") }
        for (index, (a, b)) in zip(replayed.trace, recorded.trace).enumerated() where a != b {
            found.append("trace line \(index + 1) (\(b.policy)/\(b.rule)): \(a.result) ≠ recorded \(b.result)")
        }
        if replayed.trace.count != recorded.trace.count { found.append("trace has \(replayed.trace.count) lines, recorded \(recorded.trace.count)") }
        if replayed.inputProblems != recorded.inputProblems { found.append("input problems differ") }
        return found
    }
}
