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

private let idempotencyKey = HTTPField.Name("Idempotency-Key")!
private let replayed = HTTPField.Name("Idempotency-Replayed")!

private func keyed(_ key: String, tenant: TenantID = Fixtures.tenantA) -> HTTPFields {
    var headers = jsonHeaders(tenant: tenant)
    headers[idempotencyKey] = key
    return headers
}

@Suite struct IdempotencyAPITests {
    @Test func aRetryWithTheSameKeyAndBodyGetsTheFirstAnswerAndBooksNothing() async throws {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            let body = transactionJSON()
            let first = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed("pay-1"), body: ByteBuffer(string: body))
            #expect(first.status == .created)
            #expect(first.headers[replayed] == nil)
            let again = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed("pay-1"), body: ByteBuffer(string: body))
            #expect(again.status == .created)
            #expect(again.headers[replayed] == "true")
            #expect(again.body == first.body)
            #expect(again.headers[.location] == first.headers[.location])
            #expect(repository.count == 1)
            // Without a key, the same body is another transaction.
            let unkeyed = try await client.execute(uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: body))
            #expect(unkeyed.status == .created && unkeyed.body != first.body)
            #expect(repository.count == 2)
        }
    }

    @Test func theSameKeyWithAnotherBodyIs422AndWritesNothing() async throws {
        let repository = InMemoryTransactionRepository()
        let keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            _ = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed("pay-1"), body: ByteBuffer(string: transactionJSON()))
            let before = keeper.entries(of: .tenant(Fixtures.tenantA)).count
            let other = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: keyed("pay-1"), body: ByteBuffer(string: transactionJSON(["amount_minor": 99]))
            )
            try expectProblem(other, status: .unprocessableContent, slug: "idempotency-key-reused")
            #expect(repository.count == 1)
            #expect(keeper.entries(of: .tenant(Fixtures.tenantA)).count == before)
        }
    }

    @Test func keysBelongToTheirClient() async throws {
        let repository = InMemoryTransactionRepository()
        try await makeApp(repository: repository).test(.router) { client in
            let body = ByteBuffer(string: transactionJSON())
            let a = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed("shared"), body: body)
            let b = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed("shared", tenant: Fixtures.tenantB), body: body)
            #expect(a.status == .created && b.status == .created)
            #expect(b.headers[replayed] == nil)
            #expect(try object(a)["id"] as? String != object(b)["id"] as? String)
        }
    }

    @Test(arguments: ["", "has space", String(repeating: "k", count: 256), "é"])
    func aMalformedKeyIs400AndRecordsNothing(_ key: String) async throws {
        let repository = InMemoryTransactionRepository()
        try await makeApp(repository: repository).test(.router) { client in
            let response = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed(key), body: ByteBuffer(string: transactionJSON()))
            try expectProblem(response, status: .badRequest, slug: "invalid-idempotency-key")
            #expect(repository.count == 0)
        }
    }

    @Test func aRefusedRequestMayBeRetriedWithItsKey() async throws {
        let repository = InMemoryTransactionRepository()
        try await makeApp(repository: repository).test(.router) { client in
            let invalid = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: keyed("pay-2"), body: ByteBuffer(string: transactionJSON(["currency": "XXX1"]))
            )
            try expectProblem(invalid, status: .unprocessableContent, slug: "validation-failed")
            // Nothing was remembered: the corrected request under the same key goes through.
            let fixed = try await client.execute(uri: "/v1/transactions", method: .post, headers: keyed("pay-2"), body: ByteBuffer(string: transactionJSON()))
            #expect(fixed.status == .created && fixed.headers[replayed] == nil)
            #expect(repository.count == 1)
        }
    }
}

/// The acceptance test: 50 concurrent duplicates on a real PostgreSQL, through the group-commit
/// keeper `custos serve` uses.
@Suite struct PostgresIdempotencyTests {
    @Test func fiftyConcurrentDuplicatesMakeOneRowOneRecordingAndIdenticalAnswers() async throws {
        try await TestDatabase.withDatabase(connectionsMax: 8) { client, _ in
            let usage = PoolUsage(connectionsMax: 8)
            let keeper = PostgresGroupCommitKeeper(
                client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: .init(label: "test")
            )
            let app = makeApp(
                repository: PostgresTransactionRepository(client: client, usage: usage, logger: .init(label: "test")),
                keeper: keeper,
                auditStore: PostgresAuditLogStore(client: client, logger: .init(label: "test")),
                keys: PostgresDataKeyStore(client: client, usage: usage, logger: .init(label: "test")),
                bundles: PostgresPolicyBundleStore(client: client, usage: usage, logger: .init(label: "test")),
                idempotency: PostgresIdempotencyStore(client: client, usage: usage, logger: .init(label: "test"))
            )
            let body = transactionJSON(["counterparty_name": "Ada Lovelace"])
            let responses = try await app.test(.router) { http in
                try await withThrowingTaskGroup(of: (HTTPResponse.Status, ByteBuffer, Bool).self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            let response = try await http.execute(
                                uri: "/v1/transactions", method: .post, headers: keyed("batch-2026-12-03-0001"), body: ByteBuffer(string: body)
                            )
                            return (response.status, response.body, response.headers[replayed] == "true")
                        }
                    }
                    var all: [(HTTPResponse.Status, ByteBuffer, Bool)] = []
                    for try await response in group { all.append(response) }
                    return all
                }
            }
            #expect(responses.count == 50)
            #expect(responses.allSatisfy { $0.0 == .created }, "\(responses.map(\.0))")
            #expect(Set(responses.map(\.1)).count == 1, "every answer is the same bytes")
            #expect(responses.filter(\.2).count == 49, "all but the first are replays")
            #expect(try await TestDatabase.count("transactions", client) == 1)
            #expect(try await TestDatabase.count("idempotency_keys", client) == 1)
            let events = try await tenantEvents(client)
            #expect(events.filter { $0 == "transaction.recorded" }.count == 1)
            // The replays return personal data, so each is audited as a read of that transaction.
            #expect(events.filter { $0 == "transaction.read" }.count == 49)
        }
    }

    @Test func keysArePrunedAfterTheRetentionOnly() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let usage = PoolUsage(connectionsMax: 2)
            let store = PostgresIdempotencyStore(client: client, usage: usage, logger: .init(label: "test"))
            let keeper = PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: usage, logger: .init(label: "test"))
            let request = IdempotentRequest(tenant: Fixtures.tenantA, client: ClientID(Fixtures.tenantA.rawValue), key: IdempotencyKey(header: "k")!,
                                            method: "POST", route: "/v1/transactions", body: [])
            let outcome = IdempotentOutcome(request: request, resource: .transaction(TransactionID(UUID())), createdAt: Fixtures.now)
            let event = AuditEvent(scope: .tenant(Fixtures.tenantA), eventType: "test.created", context: AuditContext(actor: "test"),
                                   outcome: .success, resourceType: "transaction", resourceID: "x")
            _ = try await keeper.commit(AuditedChange(writes: [.rememberOutcome(outcome)], events: [event]))
            await #expect(throws: IdempotencyError.keyTaken) {
                _ = try await keeper.commit(AuditedChange(writes: [.rememberOutcome(outcome)], events: [event]))
            }
            #expect(try await store.outcome(of: request.key, client: request.client, tenant: Fixtures.tenantA) == outcome)
            #expect(try await store.outcome(of: request.key, client: request.client, tenant: Fixtures.tenantB) == nil)
            let day: Int64 = 86_400 * 1_000_000
            #expect(try await PruneIdempotencyKeys(store: store, clock: ManualClock(Fixtures.now.adding(microseconds: day)), retentionSeconds: 86_400)() == 0)
            #expect(try await PruneIdempotencyKeys(store: store, clock: ManualClock(Fixtures.now.adding(microseconds: day + 1)), retentionSeconds: 86_400)() == 1)
            #expect(try await TestDatabase.count("idempotency_keys", client) == 0)
        }
    }

    private func tenantEvents(_ client: PostgresClient) async throws -> [String] {
        let origin = AuditOrigins().origin(of: .tenant(Fixtures.tenantA))
        var events: [String] = []
        for try await leaf in try await client.query("SELECT leaf FROM audit_entries WHERE origin = \(origin) ORDER BY idx", logger: .init(label: "test")).decode(ByteBuffer.self) {
            events.append(try AuditLeaf(decoding: Array(buffer: leaf)).eventType)
        }
        return events
    }
}
