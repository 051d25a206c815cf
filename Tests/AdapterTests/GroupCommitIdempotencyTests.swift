import Domain
import Foundation
import Logging
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
import TestSupport
import Testing

/// Keyed bookings in the group-commit keeper's batches: the keys go in first, in the batch's
/// transaction; a taken key fails its change alone; a key never outlives a refused row.
@Suite struct GroupCommitIdempotencyTests {
    let logger = Logger(label: "test")

    func keyed(_ key: String, _ transaction: Transaction = Fixtures.transaction()) -> AuditedChange {
        let request = IdempotentRequest(tenant: transaction.tenantID, client: ClientID(transaction.tenantID.rawValue),
                                        key: IdempotencyKey(header: key)!, method: "POST", route: "/v1/transactions", body: Array(key.utf8))
        var change = recorded(transaction)
        change.writes.insert(.rememberOutcome(IdempotentOutcome(request: request, resource: .transaction(transaction.id), createdAt: Fixtures.now)), at: 0)
        return change
    }

    @Test func concurrentKeyedChangesBookOncePerKeyInBatches() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let keeper = PostgresGroupCommitKeeper(
                client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: PoolUsage(connectionsMax: 8), logger: logger
            )
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<60 {
                    let change = keyed("key-\(n % 20)")  // each key three times, each time with a row of its own
                    group.addTask {
                        do { _ = try await keeper.commit(change); return true } catch IdempotencyError.keyTaken { return false }
                    }
                }
                for _ in 0..<20 { group.addTask { _ = try await keeper.commit(recorded(Fixtures.transaction())); return true } }
                var all: [Bool] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.filter { $0 }.count == 40 && results.filter { !$0 }.count == 40)
            #expect(try await TestDatabase.count("idempotency_keys", client) == 20)
            #expect(try await TestDatabase.count("transactions", client) == 40)
            // Every key names a stored row.
            let orphans = try await client.query(
                "SELECT count(*) FROM idempotency_keys k WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = k.resource_id)", logger: logger
            )
            for try await count in orphans.decode(Int64.self) { #expect(count == 0) }
        }
    }

    @Test func aKeyedChangeWhoseRowIsRefusedLeavesNoKey() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let keeper = PostgresGroupCommitKeeper(
                client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: PoolUsage(connectionsMax: 8), logger: logger
            )
            let taken = Fixtures.transaction()
            _ = try await keeper.commit(recorded(taken))
            // Its id is taken: refused with the id's error, and its key is not kept. Others in the batch go on.
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    do { _ = try await keeper.commit(keyed("orphan", taken)); return "stored" }
                    catch TransactionError.duplicateID { return "duplicate" }
                }
                for n in 0..<10 { group.addTask { _ = try await keeper.commit(keyed("other-\(n)")); return "stored" } }
                var all: [String] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == "duplicate" }.count == 1 && outcomes.filter { $0 == "stored" }.count == 10)
            #expect(try await TestDatabase.count("idempotency_keys", client) == 10)
            #expect(try await TestDatabase.count("transactions", client) == 11)
        }
    }
}
