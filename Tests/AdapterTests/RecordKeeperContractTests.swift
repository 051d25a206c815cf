import Domain
import Foundation
import Logging
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters
import TestSupport
import Testing

/// The contract of `RecordKeeper`, run against the in-memory and the PostgreSQL adapter:
/// atomic writes with their entries, gap-free logs under concurrency, logs that verify.
enum KeeperKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory, postgres, postgresGroupCommit, postgresGroupCommitTwoFlushers
    var testDescription: String { rawValue }

    struct Harness: Sendable {
        let keeper: any RecordKeeper
        let repository: any TransactionRepository
        /// The stored entries of a log, in index order.
        let entries: @Sendable (AuditScope) async throws -> [[UInt8]]
    }

    func with(_ body: (Harness) async throws -> Void) async throws {
        let origins = AuditOrigins()
        switch self {
        case .inMemory:
            let repository = InMemoryTransactionRepository(keys: Sealing.fixtureKeyStore())
            let keeper = InMemoryRecordKeeper(transactions: repository, origins: origins, clock: SystemClock())
            try await body(Harness(keeper: keeper, repository: repository, entries: { keeper.entries(of: $0) }))
        case .postgres, .postgresGroupCommit, .postgresGroupCommitTwoFlushers:
            try await TestDatabase.withDatabase(connectionsMax: 16) { client, _ in
                let logger = Logger(label: "test")
                let usage = PoolUsage(connectionsMax: 16)
                let reader = PostgresAuditLogStore(client: client, logger: logger)
                let keeper: any RecordKeeper = self == .postgres
                    ? PostgresRecordKeeper(client: client, origins: origins, clock: SystemClock(), usage: usage, logger: logger)
                    : PostgresGroupCommitKeeper(
                        client: client, origins: origins, clock: SystemClock(), usage: usage, logger: logger,
                        // Two flushers with small batches: each batch built on the tail of the one in flight.
                        flushersPerQueue: self == .postgresGroupCommitTwoFlushers ? 2 : 1,
                        changesPerBatch: self == .postgresGroupCommitTwoFlushers ? 4 : PostgresGroupCommitKeeper.changesPerBatchMax
                    )
                try await body(Harness(
                    keeper: keeper,
                    repository: PostgresTransactionRepository(client: client, usage: usage, logger: logger),
                    entries: { scope in try await reader.entries(origin: origins.origin(of: scope), from: 0, count: 4_096) }
                ))
            }
        }
    }
}

/// The change that records `transaction`, sealed under its tenant's fixture key (`Sealing`), which
/// the harnesses' stores hold.
func recorded(_ transaction: Transaction) -> AuditedChange {
    AuditedChange(
        writes: [.insertTransaction(Sealing.seal(transaction))],
        events: [AuditEvent(
            scope: .tenant(transaction.tenantID), eventType: "transaction.recorded", context: .unauthenticated,
            outcome: .success, resourceType: "transaction", resourceID: transaction.id.description
        )]
    )
}

/// Verifies a stored log the way an auditor does: sign a checkpoint over it, run the verifier.
func verifyStoredLog(_ entries: [[UInt8]], origin: String) throws -> AuditVerificationReport {
    var levels = MerkleLevels()
    for entry in entries { levels.append(leafHash: MerkleTree.leafHash(entry)) }
    let signer = try SodiumNoteSigner(name: origin, seed: [UInt8](repeating: 11, count: 32))
    let root = try MerkleTree.root(treeSize: UInt64(entries.count), from: levels)
    let note = try signer.signedNote(text: try Checkpoint(origin: origin, size: UInt64(entries.count), rootHash: root).text)
    let files = try TiledLogExport.files(entries: entries, checkpointNote: note.encoded)
    return AuditLogVerifier(trustedKeys: [signer.verifierKey], signatureVerifier: try SodiumSignatureVerifier(), expectedOrigin: origin)
        .verify(ExportFilesSource(files))
}

@Suite struct RecordKeeperContractTests {
    @Test(arguments: KeeperKind.allCases)
    func aCommittedChangeHasItsRowAndEntry(kind: KeeperKind) async throws {
        try await kind.with { store in
            let transaction = Fixtures.transaction()
            let receipts = try await store.keeper.commit(recorded(transaction))
            #expect(receipts == [AuditReceipt(origin: AuditOrigins().origin(of: .tenant(Fixtures.tenantA)), index: 0)])
            #expect(try Sealing.open(await store.repository.transaction(id: transaction.id, tenant: Fixtures.tenantA)) == transaction)
            let entries = try await store.entries(.tenant(Fixtures.tenantA))
            #expect(entries.count == 1)
            #expect(try AuditLeaf(decoding: entries[0]).eventType == "transaction.recorded")
        }
    }

    @Test(arguments: KeeperKind.allCases)
    func aRefusedChangeLeavesNoEntry(kind: KeeperKind) async throws {
        try await kind.with { store in
            let original = Fixtures.transaction()
            _ = try await store.keeper.commit(recorded(original))
            let duplicate = Fixtures.transaction(id: original.id, amountMinor: 7)
            await #expect(throws: TransactionError.duplicateID(original.id)) { try await store.keeper.commit(recorded(duplicate)) }
            #expect(try await store.entries(.tenant(Fixtures.tenantA)).count == 1, "the rolled-back change left no entry")
            _ = try await store.keeper.commit(recorded(Fixtures.transaction()))
            let entries = try await store.entries(.tenant(Fixtures.tenantA))
            #expect(entries.count == 2)
            #expect(try AuditLeaf(decoding: entries[1]).index == 1, "no gap where the refused change was")
        }
    }

    /// Many racing changes with the same id: exactly one is stored, with exactly one entry.
    @Test(arguments: KeeperKind.allCases)
    func racingDuplicatesLeaveOneRowAndOneEntry(kind: KeeperKind) async throws {
        try await kind.with { store in
            let id = TransactionID(UUID())
            let successes = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<12 {
                    group.addTask {
                        do {
                            _ = try await store.keeper.commit(recorded(Fixtures.transaction(id: id, amountMinor: Int64(n + 1))))
                            return 1
                        } catch TransactionError.duplicateID {
                            return 0
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(successes == 1)
            let entries = try await store.entries(.tenant(Fixtures.tenantA))
            #expect(entries.count == 1)
            #expect(try verifyStoredLog(entries, origin: AuditOrigins().origin(of: .tenant(Fixtures.tenantA))).verified)
        }
    }

    @Test(arguments: KeeperKind.allCases)
    func concurrentCommitsMakeOneGapFreeLogThatVerifies(kind: KeeperKind) async throws {
        try await kind.with { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<48 {
                    let tenant = n % 3 == 0 ? Fixtures.tenantB : Fixtures.tenantA
                    group.addTask { _ = try await store.keeper.commit(recorded(Fixtures.transaction(tenant: tenant))) }
                }
                try await group.waitForAll()
            }
            for (tenant, count) in [(Fixtures.tenantA, 32), (Fixtures.tenantB, 16)] {
                let entries = try await store.entries(.tenant(tenant))
                #expect(entries.count == count)
                let report = try verifyStoredLog(entries, origin: AuditOrigins().origin(of: .tenant(tenant)))
                #expect(report.verified, "\(report.failure.map(\.description) ?? "")")
            }
        }
    }
}

/// PostgreSQL-only guarantees: two servers on one database share one log per tenant, and the
/// audit tables refuse changes in the database itself.
@Suite struct PostgresAuditStorageTests {
    @Test(arguments: [false, true])
    func twoServersOnOneDatabaseWriteOneLog(groupCommit: Bool) async throws {
        try await TestDatabase.withDatabase { client, url in
            let logger = Logger(label: "test")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await TestDatabase.withClient(url, connectionsMax: 6) { own in
                            let usage = PoolUsage(connectionsMax: 6)
                            let keeper: any RecordKeeper = groupCommit
                                ? PostgresGroupCommitKeeper(client: own, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger)
                                : PostgresRecordKeeper(client: own, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger)
                            try await withThrowingTaskGroup(of: Void.self) { inner in
                                for _ in 0..<20 { inner.addTask { _ = try await keeper.commit(recorded(Fixtures.transaction())) } }
                                try await inner.waitForAll()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let origin = AuditOrigins().origin(of: .tenant(Fixtures.tenantA))
            let stored = try await PostgresAuditLogStore(client: client, logger: logger).indexedEntries(origin: origin, from: 0, count: 100)
            #expect(stored.map(\.index) == Array(0..<40))
            #expect(try verifyStoredLog(stored.map(\.leaf), origin: origin).verified)
            #expect(try await PostgresAuditLogStore(client: client, logger: logger).head(origin: origin)?.size == 40)
        }
    }

    @Test(arguments: [
        "UPDATE audit_entries SET leaf = leaf || '\\x00'::bytea", "DELETE FROM audit_entries", "TRUNCATE audit_entries CASCADE",
        "UPDATE audit_logs SET tenant_id = NULL", "DELETE FROM audit_logs", "TRUNCATE audit_logs CASCADE",
    ])
    func theDatabaseRefusesChangesToTheLog(statement: String) async throws {
        try await TestDatabase.withDatabase { client, _ in
            let logger = Logger(label: "test")
            let keeper = PostgresRecordKeeper(
                client: client, origins: AuditOrigins(), clock: SystemClock(), usage: PoolUsage(connectionsMax: 2), logger: logger
            )
            _ = try await keeper.commit(recorded(Fixtures.transaction()))
            let error = await #expect(throws: PSQLError.self) {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            #expect(error?.serverInfo?[.sqlState] == "42501")
            let count = try await TestDatabase.count("audit_entries", client)
            #expect(count == 1)
        }
    }
}

/// Group commit: one change that the database refuses (here through a trigger, standing for any
/// failure but a taken id) must not cost the other changes of its batch.
@Suite struct GroupCommitIsolationTests {
    @Test func onlyTheCulpritFails() async throws {
        try await TestDatabase.withDatabase(connectionsMax: 8) { client, _ in
            let logger = Logger(label: "test")
            _ = try await client.query(PostgresQuery(unsafeSQL: """
                CREATE FUNCTION refuse_666() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.amount_minor = 666 THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$
                """), logger: logger)
            _ = try await client.query(
                "CREATE TRIGGER refuse_666 BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION refuse_666()", logger: logger
            )
            let keeper = PostgresGroupCommitKeeper(
                client: client, origins: AuditOrigins(), clock: SystemClock(), usage: PoolUsage(connectionsMax: 8), logger: logger
            )
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<40 {
                    group.addTask {
                        do {
                            _ = try await keeper.commit(recorded(Fixtures.transaction(amountMinor: n == 17 ? 666 : Int64(n + 1))))
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0 }.count == 1, "only the refused change fails")
            let entries = try await PostgresAuditLogStore(client: client, logger: logger)
                .entries(origin: AuditOrigins().origin(of: .tenant(Fixtures.tenantA)), from: 0, count: 100)
            #expect(entries.count == 39)
            let rows = try await TestDatabase.count("transactions", client)
            #expect(rows == 39)
            #expect(try verifyStoredLog(entries, origin: AuditOrigins().origin(of: .tenant(Fixtures.tenantA))).verified)
        }
    }
}
