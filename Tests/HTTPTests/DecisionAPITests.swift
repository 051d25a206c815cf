import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import SystemAdapters
import Testing
import TestSupport

/// Decisions through the real router, on the in-memory adapters.
@Suite struct DecisionAPITests {
    let repository = InMemoryTransactionRepository()

    func post(_ client: some TestClientProtocol, _ overrides: [String: Any?] = [:]) async throws -> [String: Any] {
        let response = try await client.execute(
            uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON(overrides))
        )
        #expect(response.status == .created)
        return try object(response)
    }

    @Test func postAnswersWithStatusAndDecision() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let posted = try await post(client)
            #expect(posted["status"] as? String == "posted")
            let decision = try #require(posted["decision"] as? [String: Any])
            #expect(decision["outcome"] as? String == "approve" && decision["score"] as? Int == 0)
            #expect((decision["fired"] as? [Any])?.isEmpty == true)
            #expect(decision["bundle_hash"] as? String == PolicyFixtures.bundle.bundleHash)

            let held = try await post(client, ["amount_minor": 150_000_000])
            #expect(held["status"] as? String == "held")
            let fired = try #require((held["decision"] as? [String: Any])?["fired"] as? [[String: Any]])
            #expect(fired.count == 1)
            #expect(fired.first?["rule"] as? String == "large" && fired.first?["reason"] as? String == "large amount")
            #expect(fired.first?["policy"] as? String == "test-limits" && fired.first?["score"] as? Int == 50)
        }
    }

    @Test func theRecordedDecisionIsServedWithItsTraceAndWithoutItsSalt() async throws {
        try await makeApp(repository: repository).test(.router) { client in
            let held = try await post(client, ["amount_minor": 150_000_000])
            let id = try #require(held["id"] as? String)
            let response = try await client.execute(uri: "/v1/transactions/\(id)/decision", method: .get, headers: jsonHeaders())
            #expect(response.status == .ok)
            let decision = try object(response)
            #expect(decision["transaction_id"] as? String == id && decision["status"] as? String == "held")
            #expect(decision["decision_id"] as? String == (held["decision"] as? [String: Any])?["id"] as? String)
            #expect(decision["outcome"] as? String == "block" && decision["input_salt"] == nil)
            let trace = try #require(decision["trace"] as? [[String: Any]])
            #expect(trace.map { $0["rule"] as? String } == ["large", "huge", "busy"])
            #expect(trace.map { $0["result"] as? String } == ["hit", "no_hit", "no_hit"])
            #expect((decision["features"] as? [String: Any])?["count_1h"] as? Int == 0)
            // Another tenant's transaction is not found, as for the transaction itself.
            let foreign = jsonHeaders(tenant: Fixtures.tenantB)
            try expectProblem(
                try await client.execute(uri: "/v1/transactions/\(id)/decision", method: .get, headers: foreign),
                status: .notFound, slug: "transaction-not-found"
            )
            try expectProblem(
                try await client.execute(uri: "/v1/transactions/not-a-uuid/decision", method: .get, headers: jsonHeaders()),
                status: .notFound, slug: "transaction-not-found"
            )
        }
    }

    @Test func aDecisionReplaysAgainstTheActivatedBundle() async throws {
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        _ = try await ActivatePolicyBundle(store: keeper.policyBundles, keeper: keeper, clock: ManualClock(Fixtures.now))(
            PolicyFixtures.bundle, context: .unauthenticated
        )
        let source = RefreshingPolicySource(store: keeper.policyBundles, checkEvery: .zero)
        try await makeApp(repository: repository, keeper: keeper, policies: source).test(.router) { client in
            let id = try #require(try await post(client, ["amount_minor": 150_000_000])["id"] as? String)
            let response = try await client.execute(uri: "/v1/transactions/\(id)/decision/replay", method: .get, headers: jsonHeaders())
            #expect(response.status == .ok)
            let replay = try object(response)
            #expect(replay["matches"] as? Bool == true && (replay["differences"] as? [Any])?.isEmpty == true)
            #expect((replay["replayed"] as? [String: Any])?["outcome"] as? String == "block")
            #expect((replay["replayed"] as? [String: Any])?["input_digest"] as? String
                    == (replay["recorded"] as? [String: Any])?["input_digest"] as? String)
        }
    }

    @Test func withoutAnActiveBundleTransactionsAreRefusedAndNothingIsStored() async throws {
        try await makeApp(repository: repository, policies: FixedPolicySource(nil)).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
            )
            let problem = try expectProblem(response, status: .serviceUnavailable, slug: "no-active-policy")
            #expect((problem["detail"] as? String)?.contains("nothing was recorded") == true)
        }
        #expect(repository.count == 0)
    }
}
