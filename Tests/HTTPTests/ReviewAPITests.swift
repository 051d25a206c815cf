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
import Testing
import TestSupport

/// The maker is tenant A's first client (whose tokens `jsonHeaders` sends); the checker is
/// `TestTokens.checker`, another client of tenant A.
private let checker = jsonHeaders(client: TestTokens.checker.id)
/// Held by the fixtures' bundle (1,000,000.00 or more: block).
private let heldBody = transactionJSON(["amount_minor": 250_000_000])

private func decision(_ verdict: String, reason: String = "documents checked") -> ByteBuffer {
    ByteBuffer(string: #"{"decision":"\#(verdict)","reason":"\#(reason)"}"#)
}

private func submit(_ client: some TestClientProtocol, _ body: String = heldBody) async throws -> String {
    let created = try await client.execute(uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body))
    #expect(created.status == .created)
    return try #require(try object(created)["id"] as? String)
}

@Suite struct ReviewAPITests {
    @Test func aCheckerApprovesAHeldTransactionOnceAndItsMakerNever() async throws {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            let id = try await submit(client)
            let shown = try object(try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders()))
            #expect(shown["status"] as? String == "held")
            #expect(shown["submitted_by"] as? String == Fixtures.tenantA.description)

            let byMaker = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: jsonHeaders(), body: decision("approve"))
            try expectProblem(byMaker, status: .forbidden, slug: "maker-cannot-decide")

            let approved = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: checker, body: decision("approve"))
            #expect(approved.status == .created)
            let review = try object(approved)
            #expect(review["decision"] as? String == "approve" && review["status"] as? String == "posted")
            #expect(review["decided_by"] as? String == TestTokens.checker.id.description)
            #expect(review["reason"] as? String == "documents checked")

            let after = try object(try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders()))
            #expect(after["status"] as? String == "posted")
            #expect((after["review"] as? [String: Any])?["decision"] as? String == "approve")
            let decided = try object(try await client.execute(uri: "/v1/transactions/\(id)/decision", method: .get, headers: jsonHeaders()))
            #expect(decided["status"] as? String == "posted", "the decision's view says where the transaction stands now")

            for verdict in ["approve", "reject"] {
                let again = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: checker, body: decision(verdict))
                try expectProblem(again, status: .conflict, slug: "review-already-decided")
            }
        }
        let entries = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0) }.filter { $0.eventType == "review.decided" }
        #expect(entries.count == 4, "the maker's attempt, the approval and two refused repeats")
        let payloads = entries.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(payloads.filter { $0.contains(#""outcome":"success""#) }.count == 1)
        #expect(payloads.contains { $0.contains("maker-cannot-decide") })
        #expect(payloads.allSatisfy { !$0.contains("documents checked") && !$0.contains("reason") }, "the reason stays out of the log, digest included")
    }

    @Test func aRejectionDeclinesAndOnlyHeldTransactionsAreReviewed() async throws {
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            let held = try await submit(client)
            let rejected = try await client.execute(uri: "/v1/reviews/\(held)", method: .post, headers: checker, body: decision("reject", reason: "no source of funds"))
            #expect(try object(rejected)["status"] as? String == "declined")
            let posted = try await submit(client, transactionJSON())
            let notHeld = try await client.execute(uri: "/v1/reviews/\(posted)", method: .post, headers: checker, body: decision("approve"))
            try expectProblem(notHeld, status: .conflict, slug: "review-not-pending")
        }
    }

    @Test(arguments: [
        #"{"decision":"maybe","reason":"x"}"#, #"{"decision":"approve"}"#, #"{"decision":"approve","reason":""}"#,
        #"{"decision":"approve","reason":"   "}"#, #"{"decision":1,"reason":"x"}"#, #"{"decision":"approve","reason":"x","amount":1}"#,
        "{\"decision\":\"approve\",\"reason\":\"" + String(repeating: "r", count: 501) + "\"}",
    ])
    func badDecisionsAre422AndDecideNothing(_ body: String) async throws {
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            let id = try await submit(client)
            let response = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: checker, body: ByteBuffer(string: body))
            try expectProblem(response, status: .unprocessableContent, slug: "validation-failed")
            let queue = try object(try await client.execute(uri: "/v1/reviews", method: .get, headers: checker))
            #expect((queue["items"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func theQueueListsUndecidedHeldTransactionsOldestFirstInPages() async throws {
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            var held: [String] = []
            for n in 0..<5 {
                held.append(try await submit(client))
                // Posted (an account of its own, so the fixtures' velocity rule does not hold it): never in the queue.
                if n == 2 { _ = try await submit(client, transactionJSON(["account_id": "ACC-POSTED"])) }
            }
            _ = try await client.execute(uri: "/v1/reviews/\(held[1])", method: .post, headers: checker, body: decision("approve"))
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/reviews?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try object(try await client.execute(uri: uri, method: .get, headers: checker))
                seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == [held[0], held[2], held[3], held[4]], "oldest first, the decided one gone")
            #expect(pages == 2)
        }
    }

    @Test func everyRouteNamingAnotherTenantsTransactionIs404() async throws {
        let repository = InMemoryTransactionRepository()
        try await makeApp(repository: repository).test(.router) { client in
            let id = try await submit(client)
            let other = jsonHeaders(tenant: Fixtures.tenantB)
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/transactions/\(id)"), (.get, "/v1/transactions/\(id)/decision"),
                                  (.get, "/v1/transactions/\(id)/decision/replay"), (.post, "/v1/reviews/\(id)")] {
                let response = try await client.execute(uri: uri, method: method, headers: other, body: decision("approve"))
                try expectProblem(response, status: .notFound, slug: "transaction-not-found")
            }
            for uri in ["/v1/transactions", "/v1/reviews", "/v1/transactions?counterparty_account=DE89370400440532013000"] {
                let page = try object(try await client.execute(uri: uri, method: .get, headers: other))
                #expect((page["items"] as? [Any])?.isEmpty == true, "\(uri)")
            }
            // Tenant A's own view is unchanged: still held, undecided.
            let mine = try object(try await client.execute(uri: "/v1/transactions/\(id)", method: .get, headers: jsonHeaders()))
            #expect(mine["status"] as? String == "held" && mine["review"] is NSNull)
        }
    }

    @Test func aRetriedDecisionWithItsKeyGetsTheFirstAnswer() async throws {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            let id = try await submit(client)
            var headers = checker
            headers[HTTPField.Name("Idempotency-Key")!] = "review-\(id)"
            let first = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: headers, body: decision("approve"))
            let again = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: headers, body: decision("approve"))
            #expect(first.status == .created && again.status == .created)
            #expect(again.body == first.body)
            #expect(again.headers[HTTPField.Name("Idempotency-Replayed")!] == "true")
            let changed = try await client.execute(uri: "/v1/reviews/\(id)", method: .post, headers: headers, body: decision("reject"))
            try expectProblem(changed, status: .unprocessableContent, slug: "idempotency-key-reused")
        }
        // The replay reads the review back (audited as such), not the transaction's protected fields.
        let events = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0).eventType }
        #expect(events.filter { $0 == "review.read" }.count == 1)
        #expect(events.filter { $0 == "transaction.read" }.isEmpty)
    }
}

@Suite struct TransactionPageTests {
    @Test func pagesCoverEveryTransactionOnceNewestFirst() async throws {
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            var ids: [String] = []
            for _ in 0..<7 { ids.append(try await submit(client, transactionJSON())) }
            var seen: [String] = []
            var cursor: String?
            var sizes: [Int] = []
            repeat {
                let uri = "/v1/transactions?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try object(try await client.execute(uri: uri, method: .get, headers: jsonHeaders()))
                let items = (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                sizes.append(items.count)
                seen += items
                cursor = page["next_cursor"] as? String
            } while cursor != nil && sizes.count < 10
            #expect(sizes == [3, 3, 1])
            #expect(seen == ids.reversed())
        }
    }

    @Test func aCursorOfAnotherListOrAnEditedOneIs400() async throws {
        try await makeApp(repository: InMemoryTransactionRepository()).test(.router) { client in
            for _ in 0..<3 { _ = try await submit(client) }
            let reviews = try object(try await client.execute(uri: "/v1/reviews?limit=1", method: .get, headers: checker))
            let cursor = try #require(reviews["next_cursor"] as? String)
            for bad in [cursor, "not-a-cursor", String(cursor.dropLast(2)), String(repeating: "A", count: 300)] {
                let response = try await client.execute(uri: "/v1/transactions?cursor=\(bad)", method: .get, headers: jsonHeaders())
                try expectProblem(response, status: .badRequest, slug: "invalid-cursor")
            }
            let good = try await client.execute(uri: "/v1/reviews?cursor=\(cursor)", method: .get, headers: checker)
            #expect(good.status == .ok)
        }
    }
}

/// The maker-checker rule on a real PostgreSQL.
@Suite struct PostgresReviewTests {
    func app(_ client: PostgresClient) -> some ApplicationProtocol {
        let usage = PoolUsage(connectionsMax: 8)
        return makeApp(
            repository: PostgresTransactionRepository(client: client, usage: usage, logger: .init(label: "test")),
            keeper: PostgresGroupCommitKeeper(client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: .init(label: "test")),
            auditStore: PostgresAuditLogStore(client: client, logger: .init(label: "test")),
            keys: PostgresDataKeyStore(client: client, usage: usage, logger: .init(label: "test")),
            bundles: PostgresPolicyBundleStore(client: client, usage: usage, logger: .init(label: "test")),
            idempotency: PostgresIdempotencyStore(client: client, usage: usage, logger: .init(label: "test"))
        )
    }

    @Test func concurrentDecisionsRecordExactlyOne() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let statuses = try await app(client).test(.router) { http in
                let id = try await submit(http)
                return try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for n in 0..<12 {
                        group.addTask {
                            try await http.execute(uri: "/v1/reviews/\(id)", method: .post, headers: checker,
                                                   body: decision(n % 2 == 0 ? "approve" : "reject")).status
                        }
                    }
                    var all: [HTTPResponse.Status] = []
                    for try await status in group { all.append(status) }
                    return all
                }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .conflict }.count == 11)
            #expect(try await TestDatabase.count("transaction_reviews", client) == 1)
        }
    }

    @Test func theDatabaseRefusesAReviewByTheMakerOrOfARowNotHeldAndAnyChange() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let (held, posted) = try await app(client).test(.router) { http in
                (try await submit(http), try await submit(http, transactionJSON()))
            }
            let maker = Fixtures.tenantA.rawValue
            func insert(_ id: String, by: UUID) async throws {
                try await client.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO transaction_reviews (tenant_id, transaction_id, verdict, reason, decided_by, decided_at)
                    VALUES ('\(Fixtures.tenantA)', '\(id)', 'approve', 'x', '\(by.uuidString)', now())
                    """), logger: .init(label: "test"))
            }
            for (id, by) in [(held, maker), (posted, TestTokens.checker.id.rawValue)] {
                let error = try await #require(throws: PSQLError.self) { try await insert(id, by: by) }
                #expect(error.serverInfo?[.sqlState] == "CU006")
            }
            try await insert(held, by: TestTokens.checker.id.rawValue)
            let change = try await #require(throws: PSQLError.self) {
                try await client.query("UPDATE transaction_reviews SET verdict = 'reject'", logger: .init(label: "test"))
            }
            #expect(change.serverInfo?[.sqlState] == "CU004")
        }
    }

    @Test func pagesOnPostgreSQLMatchTheInMemoryOrder() async throws {
        try await TestDatabase.withDatabase { client, _ in
            try await app(client).test(.router) { http in
                var ids: [String] = []
                for _ in 0..<5 { ids.append(try await submit(http, transactionJSON())) }
                var seen: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let uri = "/v1/transactions?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try object(try await http.execute(uri: uri, method: .get, headers: jsonHeaders()))
                    seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    cursor = page["next_cursor"] as? String
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(seen == ids.reversed())
                #expect(pages == 3)
            }
        }
    }
}
