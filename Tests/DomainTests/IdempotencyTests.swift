import Domain
import Foundation
import MemoryAdapters
import Testing
import TestSupport

@Suite struct IdempotencyKeyTests {
    @Test func aKeyIsKeptAsTheDigestOfItsText() throws {
        let key = try #require(IdempotencyKey(header: "8e03978e-40d5-43e8-bc93-6894a57f9324"))
        #expect(key.digest == SHA256.hash("8e03978e-40d5-43e8-bc93-6894a57f9324".utf8))
        // The draft's structured-field form, in quotes, is the same key.
        #expect(IdempotencyKey(header: "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"") == key)
        #expect(IdempotencyKey(header: "other") != key)
    }

    @Test(arguments: ["", "\"\"", "has space", "tab\there", "é", "quote\"inside", "back\\slash", String(repeating: "k", count: 256)])
    func keysOutsideTheRuleAreRefused(_ text: String) {
        #expect(IdempotencyKey(header: text) == nil)
    }

    @Test func theLongestKeyIsAccepted() {
        #expect(IdempotencyKey(header: String(repeating: "k", count: IdempotencyKey.lengthMax)) != nil)
        #expect(IdempotencyKey(header: "\"" + String(repeating: "k", count: IdempotencyKey.lengthMax) + "\"") != nil)
    }

    @Test func theFingerprintCoversMethodRouteAndBody() throws {
        let key = try #require(IdempotencyKey(header: "k1"))
        func fingerprint(_ method: String, _ route: String, _ body: String) -> [UInt8] {
            IdempotentRequest(tenant: Fixtures.tenantA, client: ClientID(Fixtures.tenantA.rawValue), key: key,
                              method: method, route: route, body: Array(body.utf8)).fingerprint
        }
        let base = fingerprint("POST", "/v1/transactions", "{}")
        #expect(fingerprint("POST", "/v1/transactions", "{}") == base)
        #expect(fingerprint("POST", "/v1/transactions", "{ }") != base)
        #expect(fingerprint("POST", "/v1/reviews/x", "{}") != base)
        #expect(fingerprint("PUT", "/v1/transactions", "{}") != base)
        // Length prefixes: moving bytes from the route into the body changes the fingerprint.
        #expect(fingerprint("POST", "/v1/transactions{", "}") != fingerprint("POST", "/v1/transactions", "{}"))
    }
}

@Suite struct RunIdempotentlyTests {
    let clock = ManualClock(Fixtures.now)

    func request(_ key: String, body: String = "{}", client: ClientID? = nil) -> IdempotentRequest {
        IdempotentRequest(tenant: Fixtures.tenantA, client: client ?? ClientID(Fixtures.tenantA.rawValue),
                          key: IdempotencyKey(header: key)!, method: "POST", route: "/v1/transactions", body: Array(body.utf8))
    }

    func remember(_ request: IdempotentRequest, _ keeper: InMemoryRecordKeeper) async throws -> TransactionID {
        let id = TransactionID(UUID())
        let event = AuditEvent(scope: .tenant(Fixtures.tenantA), eventType: "test.created", context: AuditContext(actor: "test"),
                               outcome: .success, resourceType: "transaction", resourceID: id.description)
        _ = try await keeper.commit(AuditedChange(
            writes: [.rememberOutcome(IdempotentOutcome(request: request, resource: .transaction(id), createdAt: clock.now()))],
            events: [event]))
        return id
    }

    @Test func theSameRequestIsReplayedAndAnotherWithTheKeyRefused() async throws {
        let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: clock)
        let run = RunIdempotently(store: keeper.idempotency)
        guard case .created(let id) = try await run(request("k"), create: { try await remember($0!, keeper) }) else {
            Issue.record("the first request creates"); return
        }
        guard case .replayed(let outcome) = try await run(request("k"), create: { _ in Issue.record("not run again"); return TransactionID(UUID()) }) else {
            Issue.record("the retry replays"); return
        }
        #expect(outcome.resource == .transaction(id))
        await #expect(throws: IdempotencyError.keyReused) {
            _ = try await run(request("k", body: "{\"a\":1}"), create: { try await remember($0!, keeper) })
        }
        // Keys are per client: another client's "k" is its own.
        let other = ClientID(UUID())
        guard case .created = try await run(request("k", client: other), create: { try await remember($0!, keeper) }) else {
            Issue.record("another client's key is new"); return
        }
        #expect(keeper.entries(of: .tenant(Fixtures.tenantA)).count == 2)
    }

    @Test func aFailedCreationRemembersNothingSoItMayBeRetried() async throws {
        let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: clock)
        let run = RunIdempotently(store: keeper.idempotency)
        struct Transient: Error {}
        await #expect(throws: Transient.self) { _ = try await run(request("k"), create: { _ -> Int in throw Transient() }) }
        guard case .created = try await run(request("k"), create: { try await remember($0!, keeper) }) else {
            Issue.record("the retry creates"); return
        }
    }

    /// A duplicate that loses the race at commit time answers with the winner's outcome.
    @Test func aDuplicateThatLosesAtCommitReplaysTheWinner() async throws {
        let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: clock)
        let run = RunIdempotently(store: keeper.idempotency)
        var winner: TransactionID?
        let result = try await run(request("k"), create: { keyed in
            winner = try await remember(keyed!, keeper)  // the concurrent duplicate commits first
            return try await remember(keyed!, keeper)    // this one's commit then finds the key taken
        })
        guard case .replayed(let outcome) = result else { Issue.record("replayed, not created twice"); return }
        #expect(outcome.resource == .transaction(try #require(winner)))
        #expect(keeper.entries(of: .tenant(Fixtures.tenantA)).count == 1)
    }

    @Test func keysOlderThanTheRetentionArePruned() async throws {
        let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: clock)
        _ = try await remember(request("old"), keeper)
        let later = ManualClock(Fixtures.now.adding(microseconds: 86_400 * 1_000_000 + 1))
        #expect(try await PruneIdempotencyKeys(store: keeper.idempotency, clock: later, retentionSeconds: 86_400)() == 1)
        #expect(try await keeper.idempotency.outcome(of: request("old").key, client: request("old").client, tenant: Fixtures.tenantA) == nil)
        let sameDay = ManualClock(Fixtures.now.adding(microseconds: 86_400 * 1_000_000))
        _ = try await remember(request("new"), keeper)
        #expect(try await PruneIdempotencyKeys(store: keeper.idempotency, clock: sameDay, retentionSeconds: 86_400)() == 0)
    }
}

/// A keyed review decision whose first attempt committed while the retry was past its key
/// lookup: the retry must find the key taken (and be replayed), not the review decided.
@Suite struct KeyedReviewRaceTests {
    @Test func theRetryOfACommittedKeyedDecisionFindsItsKeyTaken() async throws {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        let held = Fixtures.transaction().deciding(PolicyFixtures.heldDecision)
        _ = try await keeper.commit(AuditedChange(writes: [.addDataKey(Sealing.key(Fixtures.tenantA))], events: [AuditEvent(
            scope: .system, eventType: "keys.data_key_created", context: AuditContext(actor: "test"), outcome: .success,
            resourceType: "data_key", resourceID: "k")]))
        _ = try await keeper.commit(AuditedChange(writes: [.insertTransaction(Sealing.seal(held))], events: [AuditEvent(
            scope: .tenant(Fixtures.tenantA), eventType: "transaction.recorded", context: AuditContext(actor: "test"), outcome: .success,
            resourceType: "transaction", resourceID: held.id.description)]))
        let checker = ClientID(UUID())
        let request = IdempotentRequest(tenant: Fixtures.tenantA, client: checker, key: IdempotencyKey(header: "decide-1")!,
                                        method: "POST", route: "/v1/reviews/\(held.id)", body: Array("{}".utf8))
        let decide = DecideReview(repository: repository, keeper: keeper, clock: ManualClock(Fixtures.now))
        _ = try await decide(held.id, verdict: .approve, reason: ReviewReason("ok")!, tenant: Fixtures.tenantA, checker: checker,
                             context: AuditContext(actor: "test"), idempotency: request)
        await #expect(throws: IdempotencyError.keyTaken) {
            _ = try await decide(held.id, verdict: .approve, reason: ReviewReason("ok")!, tenant: Fixtures.tenantA, checker: checker,
                                 context: AuditContext(actor: "test"), idempotency: request)
        }
        // Through `RunIdempotently`, whose lookup ran before that commit, that is a replay.
        let replayed = try await RunIdempotently(store: keeper.idempotency)(request) { _ in
            try await decide(held.id, verdict: .approve, reason: ReviewReason("ok")!, tenant: Fixtures.tenantA, checker: checker,
                             context: AuditContext(actor: "test"), idempotency: request)
        }
        guard case .replayed(let outcome) = replayed else { Issue.record("a replay"); return }
        #expect(outcome.resource == .review(held.id))
    }
}
