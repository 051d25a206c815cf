import Domain
import Foundation
import MemoryAdapters
import SystemAdapters
import TestSupport
import Testing

/// Every recorded transaction is decided by the active bundle, stored with its decision and the
/// status that follows, and audited with a summary of it; decisions can be read and replayed.
@Suite struct TransactionDecisionTests {
    let repository = InMemoryTransactionRepository()
    let clock = ManualClock(Fixtures.now)
    let ids = SequentialIDGenerator()
    let keeper: InMemoryRecordKeeper

    init() {
        keeper = InMemoryRecordKeeper(transactions: repository, clock: clock)
    }

    var fields: FieldProtection { Sealing.protection(keys: repository.keys, keeper: keeper) }

    func record(_ policies: any ActivePolicySource = PolicyFixtures.source) -> RecordTransaction {
        RecordTransaction(keeper: keeper, clock: clock, ids: ids, fields: fields, policies: policies, history: repository)
    }

    func auditPayloads() throws -> [String] {
        try keeper.entries(of: .tenant(Fixtures.tenantA)).map { String(decoding: try AuditLeaf(decoding: $0).payload, as: UTF8.self) }
    }

    @Test(arguments: [
        (Int64(12_345), TransactionStatus.posted, PolicyOutcome.approve, [String]()),
        (100_000_000, .held, .block, ["large"]),
        (500_000_000_000, .declined, .decline, ["large", "huge"]),
    ])
    func statusFollowsTheDecision(amount: Int64, status: TransactionStatus, outcome: PolicyOutcome, fired: [String]) async throws {
        let recorded = try await record()(Fixtures.draft(amountMinor: amount), tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(recorded.status == status)
        let decision = try #require(recorded.decision)
        #expect(decision.decision.outcome == outcome)
        #expect(decision.decision.fired().map(\.rule) == fired)
        #expect(decision.decision.bundleHash == PolicyFixtures.bundle.bundleHash)
        #expect(decision.decision.inputSalt.count == Decision.saltBytes)
        // Stored as decided, declined ones too: a refusal is a record.
        let stored = try #require(try await repository.transaction(id: recorded.id, tenant: Fixtures.tenantA))
        #expect(stored.status == status && stored.decision == decision)
        let payload = try #require(try auditPayloads().last)
        #expect(payload.contains(#""status":"\#(status.rawValue)""#))
        #expect(payload.contains(#""decision_sha256":"\#(decision.sha256)""#))
        #expect(payload.contains(#""outcome":"\#(outcome.rawValue)""#))
        #expect(!payload.contains("input_salt") && !payload.contains(Data(decision.decision.inputSalt).base64EncodedString()))
    }

    @Test func historyFeaturesAreComputedAndRecorded() async throws {
        var seen: [DecisionRecord] = []
        for _ in 0..<4 {
            let recorded = try await record()(Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated)
            seen.append(try #require(recorded.decision))
        }
        #expect(seen.map(\.features.windows.count1h) == [0, 1, 2, 3])
        #expect(seen.map(\.features.windows.sum1hMinor) == [0, 12_345, 24_690, 37_035])
        #expect(seen.map(\.features.counterpartyFirstSeen) == [true, false, false, false])
        // The fourth within the hour trips the velocity rule, and reaches the review threshold: held.
        #expect(seen.last?.decision.fired().map(\.rule) == ["busy"])
        #expect(seen.last?.decision.outcome == .review)
        var other = Fixtures.draft()
        other.counterpartyAccount = .present("FR7630006000011234567890189")
        let fresh = try await record()(other, tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(fresh.decision?.features.counterpartyFirstSeen == true)
    }

    @Test func withoutAnActiveBundleNothingIsRecorded() async throws {
        await #expect(throws: PolicyUnavailable.self) {
            try await record(FixedPolicySource(nil))(Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated)
        }
        #expect(repository.count == 0)
        let payloads = try auditPayloads()
        #expect(payloads.count == 1 && payloads[0].contains(#""reason":"no-active-policy""#) && payloads[0].contains(#""outcome":"failure""#))
    }

    @Test func aFailingRuleHoldsTheTransaction() async throws {
        let broken = Policy(
            id: "broken", version: "1", status: .active, owner: "tests", refs: [],
            inputs: [PolicyInput(name: "txn.amount_minor", type: .int)], variables: [],
            rules: [PolicyRule(id: "divide", when: "txn.amount_minor / 0 > 1", score: 0, reason: "broken rule")],
            thresholds: PolicyThresholds()
        )
        let recorded = try await record(FixedPolicySource(try CompiledBundle([broken])))(
            Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated
        )
        #expect(recorded.status == .held)
        let line = try #require(recorded.decision?.decision.trace.first)
        guard case .error = line.result else { Issue.record("the rule errs"); return }
        #expect(try auditPayloads().last?.contains(#""errors":["broken/divide"]"#) == true)
    }

    @Test func shadowPoliciesNeverChangeTheStatus() async throws {
        let watch = Policy(
            id: "watch", version: "1", status: .shadow, owner: "tests", refs: [],
            inputs: [PolicyInput(name: "txn.amount_minor", type: .int)], variables: [],
            rules: [PolicyRule(id: "everything", when: "txn.amount_minor > 0", score: 100, force: .decline, reason: "watching")],
            thresholds: PolicyThresholds()
        )
        let recorded = try await record(FixedPolicySource(try CompiledBundle([PolicyFixtures.limits, watch])))(
            Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated
        )
        #expect(recorded.status == .posted)
        let decision = try #require(recorded.decision?.decision)
        #expect(decision.fired(includeShadow: true).map(\.rule) == ["everything"])
        #expect(decision.policies.first { $0.policy == "watch" }?.outcome == .decline)
    }

    @Test func aDecisionIsReadBackAndReplayedAgainstItsStoredBundle() async throws {
        let activate = ActivatePolicyBundle(store: keeper.policyBundles, keeper: keeper, clock: clock)
        guard case .activated(let activation, previous: nil) = try await activate(PolicyFixtures.bundle, context: .unauthenticated) else {
            Issue.record("a first activation")
            return
        }
        #expect(activation.hash == PolicyFixtures.bundle.bundleHash)
        guard case .alreadyActive = try await activate(PolicyFixtures.bundle, context: .unauthenticated) else {
            Issue.record("activating the active bundle again changes nothing")
            return
        }
        let system = try keeper.entries(of: .system).map { try AuditLeaf(decoding: $0) }
        #expect(system.map(\.eventType) == ["policy.bundle_activated"])
        let source = RefreshingPolicySource(store: keeper.policyBundles, checkEvery: .zero)
        let held = try await record(source)(Fixtures.draft(amountMinor: 200_000_000), tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(held.status == .held)

        let (status, read) = try await GetDecision(repository: repository, keeper: keeper)(of: held.id, tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(status == .held && read == held.decision)
        let replay = ReplayDecision(repository: repository, keeper: keeper, fields: fields, bundles: keeper.policyBundles)
        let replayed = try await replay(of: held.id, tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(replayed.matches, "\(replayed.differences)")
        #expect(replayed.replayed.outcome == .block && replayed.replayed.inputDigest == read.decision.inputDigest)

        // A newer bundle decides new transactions; the old decision still replays against its own.
        let stricter = Policy(
            id: "test-limits", version: "2", status: .active, owner: "tests", refs: [],
            inputs: [PolicyInput(name: "txn.amount_minor", type: .int)], variables: [],
            rules: [PolicyRule(id: "any", when: "txn.amount_minor > 0", score: 0, force: .decline, reason: "closed")],
            thresholds: PolicyThresholds()
        )
        _ = try await activate(try CompiledBundle([stricter]), context: .unauthenticated)
        let declined = try await record(source)(Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated)
        #expect(declined.status == .declined)
        #expect(try await replay(of: held.id, tenant: Fixtures.tenantA, context: .unauthenticated).matches)
        let events = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0).eventType }
        #expect(events.filter { $0 == "transaction.decision_read" }.count == 1)
        #expect(events.filter { $0 == "transaction.decision_replayed" }.count == 2)
    }

    @Test func aDecisionWhoseBundleIsNotStoredDoesNotReplay() async throws {
        let recorded = try await record()(Fixtures.draft(), tenant: Fixtures.tenantA, context: .unauthenticated)
        let replay = ReplayDecision(repository: repository, keeper: keeper, fields: fields, bundles: keeper.policyBundles)
        await #expect(throws: PolicyError.self) { try await replay(of: recorded.id, tenant: Fixtures.tenantA, context: .unauthenticated) }
        await #expect(throws: TransactionError.notFound(recorded.id)) {
            try await replay(of: recorded.id, tenant: Fixtures.tenantB, context: .unauthenticated)
        }
    }

    @Test func replayNoticesAChangedInput() throws {
        let input: CanonicalJSON = ["txn": ["amount_minor": 5]]
        let recorded = PolicyFixtures.bundle.evaluate(input, decisionID: UUID(), salt: [1, 2, 3])
        let changed = PolicyFixtures.bundle.evaluate(["txn": ["amount_minor": 6]], decisionID: recorded.id, salt: [1, 2, 3])
        let transaction = try #require(try Sealing.open(Sealing.seal(Fixtures.transaction())))
        let differences = ReplayDecision.differences(recorded, changed, transaction)
        #expect(differences == ["input digest differs: the stored transaction or features changed"])
    }
}

@Suite struct DecisionRecordTests {
    static func record() throws -> DecisionRecord {
        let input: CanonicalJSON = ["txn": ["amount_minor": 200_000_000], "features": ["count_1h": 9]]
        let decision = PolicyFixtures.bundle.evaluate(input, decisionID: UUID(), salt: Array(repeating: 9, count: 16))
        let windows = HistoryWindows(count1h: 9, count24h: 10, count7d: 11, sum1hMinor: 1, sum24hMinor: 2, sum7dMinor: 3, cash24hMinor: 0)
        let features = HistoryFeatures(windows: windows, counterpartyFirstSeen: false, accountAgeDays: 12)
        return DecisionRecord(decision: decision, features: features)
    }

    @Test func storedBytesReadBackExactly() throws {
        let record = try Self.record()
        let bytes = record.canonicalJSON.canonicalBytes
        #expect(try DecisionRecord(stored: bytes) == record)
        #expect(record.decision.fired().map(\.rule) == ["large", "busy"])
        #expect(HistoryFeatures(canonicalJSON: record.features.canonicalJSON) == record.features)
    }

    @Test func alteredBytesAreRefused() throws {
        let text = String(decoding: try Self.record().canonicalJSON.canonicalBytes, as: UTF8.self)
        for altered in [
            text.replacingOccurrences(of: #""outcome":"block""#, with: #""outcome":"approval""#),
            text.replacingOccurrences(of: #""result":"hit""#, with: #""result":"maybe""#),
            text.replacingOccurrences(of: #""account_age_days":12"#, with: #""account_age_days":-1"#),
            text.replacingOccurrences(of: "{", with: "{ ", options: [], range: text.range(of: "{")),
            String(text.dropLast()),
        ] {
            #expect(throws: DecisionRecordCorrupt.self) { try DecisionRecord(stored: Array(altered.utf8)) }
        }
    }
}

@Suite struct DecisionInputTests {
    @Test(arguments: [
        ("DE89370400440532013000", "DE"), ("de89370400440532013000", "DE"), ("GB82WEST12345698765432", "GB"),
        ("DE89370400440532013001", nil), ("ACC-001", nil), ("4111111111111111", nil), ("GB82WEST1234569876543X", nil),
    ])
    func ibanCountryOnlyForValidIBANs(account: String, country: String?) {
        #expect(DecisionInput.ibanCountry(account) == country)
    }

    @Test func theDocumentHasTheSpecifiedShape() throws {
        let transaction = Fixtures.transaction(counterpartyName: CounterpartyName("Ada Lovelace"))
        let document = DecisionInput.document(for: transaction, features: .none)
        guard case .object(let root) = document, case .object(let txn)? = root["txn"] else { Issue.record("an object"); return }
        #expect(Set(root.members.map(\.name)) == ["txn", "features"])
        #expect(Set(txn.members.map(\.name)) == [
            "id", "account_id", "amount_minor", "currency", "direction", "kind", "occurred_at", "occurred_hour_utc",
            "counterparty_account", "counterparty_country", "counterparty_name", "reference",
        ])
        #expect(txn["occurred_hour_utc"] == 9 && txn["counterparty_country"] == "DE" && txn["counterparty_name"] == "Ada Lovelace")
        let salted: CanonicalJSON = ["input": document, "salt": "AQI="]
        #expect(DecisionInput.digest(document, salt: [1, 2]) == SHA256.hash(salted.canonicalBytes).hexString)
    }
}
