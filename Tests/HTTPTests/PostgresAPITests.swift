import Domain
import Foundation
import HTTPInterface
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import PostgresAdapters
import PostgresNIO
import SystemAdapters
import Testing
import TestSupport

/// The slice end to end on a real PostgreSQL: what the acceptance criteria promise.
@Suite struct PostgresAPITests {
    func app(_ client: PostgresClient, activated: Bool = false) -> some ApplicationProtocol {
        let usage = PoolUsage(connectionsMax: 4)
        let bundles = PostgresPolicyBundleStore(client: client, usage: usage, logger: .init(label: "test"))
        return makeApp(
            repository: PostgresTransactionRepository(client: client, usage: usage, logger: .init(label: "test")),
            keeper: PostgresRecordKeeper(
                client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: .init(label: "test")
            ),
            auditStore: PostgresAuditLogStore(client: client, logger: .init(label: "test")),
            keys: PostgresDataKeyStore(client: client, usage: usage, logger: .init(label: "test")),
            policies: activated ? RefreshingPolicySource(store: bundles, checkEvery: .zero) : PolicyFixtures.source,
            bundles: bundles,
            idempotency: PostgresIdempotencyStore(client: client, usage: usage, logger: .init(label: "test"))
        )
    }

    /// The acceptance path of the policy engine on a real database: a held transaction whose
    /// decision is fetched and replayed to the same result by a server that was restarted, then
    /// a replay that cannot rebuild its input once the subject is shredded.
    @Test func aHeldTransactionsDecisionIsFetchedAndReplayed() async throws {
        try await TestDatabase.withDatabase { client, url in
            let usage = PoolUsage(connectionsMax: 2)
            let keeper = PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: .init(label: "test"))
            _ = try await ActivatePolicyBundle(
                store: PostgresPolicyBundleStore(client: client, usage: usage, logger: .init(label: "test")), keeper: keeper, clock: ManualClock(Fixtures.now)
            )(PolicyFixtures.bundle, context: AuditContext(actor: "officer"))
            let (id, decisionID) = try await app(client, activated: true).test(.router) { http in
                let created = try await http.execute(
                    uri: "/v1/transactions", method: .post, headers: jsonHeaders(),
                    body: ByteBuffer(string: transactionJSON(["amount_minor": 250_000_000, "counterparty_name": "Ada Lovelace"]))
                )
                #expect(created.status == .created)
                let body = try object(created)
                #expect(body["status"] as? String == "held")
                return (try #require(body["id"] as? String), try #require((body["decision"] as? [String: Any])?["id"] as? String))
            }
            #expect(try await TestDatabase.count("transactions", client) == 1)
            try await TestDatabase.withClient(url) { second in
                try await app(second, activated: true).test(.router) { http in
                    let decision = try object(try await http.execute(uri: "/v1/transactions/\(id)/decision", method: .get, headers: jsonHeaders()))
                    #expect(decision["decision_id"] as? String == decisionID && decision["outcome"] as? String == "block")
                    #expect(decision["bundle_hash"] as? String == PolicyFixtures.bundle.bundleHash)
                    let replay = try object(try await http.execute(uri: "/v1/transactions/\(id)/decision/replay", method: .get, headers: jsonHeaders()))
                    #expect(replay["matches"] as? Bool == true, "\(replay)")
                }
            }
            let administration = PostgresKeyAdministration(client: client, usage: usage, logger: .init(label: "test"), keeper: keeper)
            _ = try await ShredSubject(administration: administration)(
                DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-001")!), context: AuditContext(actor: "test")
            )
            try await app(client, activated: true).test(.router) { http in
                let replay = try object(try await http.execute(uri: "/v1/transactions/\(id)/decision/replay", method: .get, headers: jsonHeaders()))
                #expect(replay["matches"] as? Bool == false)
                #expect((replay["differences"] as? [String])?.first?.contains("erased") == true)
            }
        }
    }

    @Test func postedTransactionsSurviveANewProcessOnTheSameDatabase() async throws {
        try await TestDatabase.withDatabase { client, url in
            let created = try await app(client).test(.router) { http in
                try await http.execute(
                    uri: "/v1/transactions", method: .post, headers: jsonHeaders(),
                    body: ByteBuffer(string: transactionJSON(["occurred_at": "2026-11-24T09:30:00.654321+01:00"]))
                )
            }
            #expect(created.status == .created)
            let id = try #require(try object(created)["id"] as? String)
            #expect(try object(created)["occurred_at"] as? String == "2026-11-24T08:30:00.654321Z")
            // A second pool and router on the same database stands in for a restarted server.
            try await TestDatabase.withClient(url) { second in
                try await app(second).test(.router) { http in
                    let fetched = try await http.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders())
                    #expect(fetched.status == .ok)
                    #expect(fetched.body == created.body)
                    let foreign = try await http.execute(
                        uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders(tenant: Fixtures.tenantB)
                    )
                    try expectProblem(foreign, status: .notFound, slug: "transaction-not-found")
                }
            }
        }
    }

    @Test func rejectedRequestsWriteNoRow() async throws {
        try await TestDatabase.withDatabase { client, _ in
            try await app(client).test(.router) { http in
                let invalid = try await http.execute(
                    uri: "/v1/transactions", method: .post, headers: jsonHeaders(),
                    body: ByteBuffer(string: transactionJSON(["amount_minor": 0, "currency": "EURO", "kind": "barter"]))
                )
                let problem = try expectProblem(invalid, status: .unprocessableContent, slug: "validation-failed")
                #expect((problem["errors"] as? [Any])?.count == 3)
                let huge = transactionJSON().dropLast() + String(repeating: " ", count: 2 << 20) + "}"
                let tooLarge = try await http.execute(
                    uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: String(huge))
                )
                try expectProblem(tooLarge, status: .contentTooLarge, slug: "body-too-large")
            }
            let rows = try await TestDatabase.count("transactions", client)
            #expect(rows == 0)
        }
    }

    /// After a shred, a read answers 200 with the erased fields null and named in `erased`: a clear
    /// marker, never garbage and never an error.
    @Test func aShreddedSubjectsFieldsReadAsErased() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let id = try await app(client).test(.router) { http in
                let created = try await http.execute(
                    uri: "/v1/transactions", method: .post, headers: jsonHeaders(),
                    body: ByteBuffer(string: transactionJSON(["counterparty_name": "Ada Lovelace"]))
                )
                return try #require(try object(created)["id"] as? String)
            }
            let usage = PoolUsage(connectionsMax: 2)
            let administration = PostgresKeyAdministration(
                client: client, usage: usage, logger: .init(label: "test"),
                keeper: PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: .init(label: "test"))
            )
            _ = try await ShredSubject(administration: administration)(
                DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-001")!), context: AuditContext(actor: "test")
            )
            try await app(client).test(.router) { http in
                let fetched = try await http.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders())
                #expect(fetched.status == .ok)
                let body = try object(fetched)
                #expect(body["counterparty_account"] is NSNull && body["counterparty_name"] is NSNull)
                #expect(body["erased"] as? [String] == ["counterparty_account", "counterparty_name"])
                #expect(body["amount_minor"] as? Int == 12_345)
                let search = try await http.execute(
                    uri: "/v1/transactions?counterparty_account=DE89370400440532013000", method: .get, headers: jsonHeaders()
                )
                #expect(try #require(try object(search)["items"] as? [Any]).isEmpty)
            }
        }
    }
}
