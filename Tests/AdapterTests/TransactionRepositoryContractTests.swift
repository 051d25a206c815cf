import Domain
import Foundation
import Logging
import SystemAdapters
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
import TestSupport
import Testing

/// The contract every `TransactionRepository` honours, run against each adapter.
/// The PostgreSQL runs use a real server and a database of their own.
enum RepositoryKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory, postgres
    var testDescription: String { rawValue }

    /// The repository, and a way to store a row: through the adapter's record keeper, the only writer.
    struct Store: Sendable {
        let repository: any TransactionRepository
        let keeper: any RecordKeeper
        func add(_ transaction: Transaction) async throws { _ = try await keeper.commit(recorded(transaction)) }
        /// The row as read, opened with the fixtures' keys.
        func transaction(id: TransactionID, tenant: TenantID) async throws -> Transaction? {
            try Sealing.open(await repository.transaction(id: id, tenant: tenant))
        }
    }

    /// Both stores hold the tenants' fixture keys, so that sealed rows go in and read back.
    func withRepository(_ body: (Store) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            let repository = InMemoryTransactionRepository(keys: Sealing.fixtureKeyStore())
            try await body(Store(repository: repository, keeper: InMemoryRecordKeeper(transactions: repository, clock: SystemClock())))
        case .postgres:
            try await TestDatabase.withDatabase(connectionsMax: 16) { client, _ in
                let usage = PoolUsage(connectionsMax: 16)
                let logger = Logger(label: "test")
                try await body(Store(
                    repository: PostgresTransactionRepository(client: client, usage: usage, logger: logger),
                    keeper: PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger)
                ))
            }
        }
    }
}

@Suite struct TransactionRepositoryContractTests {
    @Test(arguments: RepositoryKind.allCases)
    func storesAndReturnsEveryFieldExactly(kind: RepositoryKind) async throws {
        try await kind.withRepository { repository in
            let withReference = Fixtures.transaction()
            let withoutReference = Fixtures.transaction(reference: nil)
            try await repository.add(withReference)
            try await repository.add(withoutReference)
            #expect(try await repository.transaction(id: withReference.id, tenant: Fixtures.tenantA) == withReference)
            #expect(try await repository.transaction(id: withoutReference.id, tenant: Fixtures.tenantA) == withoutReference)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func readsAreScopedByTenant(kind: RepositoryKind) async throws {
        try await kind.withRepository { repository in
            let mine = Fixtures.transaction(tenant: Fixtures.tenantA)
            try await repository.add(mine)
            #expect(try await repository.transaction(id: mine.id, tenant: Fixtures.tenantB) == nil)
            #expect(try await repository.transaction(id: TransactionID(UUID()), tenant: Fixtures.tenantA) == nil)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func neverOverwritesAnExistingID(kind: RepositoryKind) async throws {
        try await kind.withRepository { repository in
            let original = Fixtures.transaction(amountMinor: 100)
            try await repository.add(original)
            let impostor = Fixtures.transaction(id: original.id, tenant: Fixtures.tenantB, amountMinor: 999)
            await #expect(throws: TransactionError.duplicateID(original.id)) { try await repository.add(impostor) }
            #expect(try await repository.transaction(id: original.id, tenant: Fixtures.tenantA) == original)
            #expect(try await repository.transaction(id: original.id, tenant: Fixtures.tenantB) == nil)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func concurrentWritersLoseNothing(kind: RepositoryKind) async throws {
        try await kind.withRepository { repository in
            let transactions = (0..<64).map { Fixtures.transaction(amountMinor: Int64($0 + 1)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for transaction in transactions { group.addTask { try await repository.add(transaction) } }
                try await group.waitForAll()
            }
            for transaction in transactions {
                #expect(try await repository.transaction(id: transaction.id, tenant: Fixtures.tenantA) == transaction)
            }
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func racingWritersOfOneIDProduceExactlyOneRow(kind: RepositoryKind) async throws {
        try await kind.withRepository { repository in
            let id = TransactionID(UUID())
            let contenders = (0..<16).map { Fixtures.transaction(id: id, amountMinor: Int64($0 + 1)) }
            let outcomes = try await withThrowingTaskGroup(of: Int64?.self) { group in
                for contender in contenders {
                    group.addTask {
                        do {
                            try await repository.add(contender)
                            return contender.money.amountMinor
                        } catch TransactionError.duplicateID {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [Int64?]()) { $0.append($1) }
            }
            let winners = outcomes.compactMap { $0 }
            #expect(winners.count == 1)
            let stored = try #require(try await repository.transaction(id: id, tenant: Fixtures.tenantA))
            #expect(stored.money.amountMinor == winners.first)
        }
    }

    /// The blind-index lookup: the tenant's rows with that index value, newest first, at most
    /// `limit`; another tenant's rows never.
    @Test(arguments: RepositoryKind.allCases)
    func findsRowsByCounterpartyIndexWithinTheTenant(kind: RepositoryKind) async throws {
        try await kind.withRepository { store in
            let mine = (0..<3).map { _ in Fixtures.transaction() }
            for transaction in mine { try await store.add(transaction) }
            try await store.add(Fixtures.transaction(tenant: Fixtures.tenantB))
            let index = try #require(Sealing.seal(mine[0]).counterpartyAccountIndex)
            let found = try await store.repository.transactions(counterpartyAccountIndex: index, tenant: Fixtures.tenantA, after: nil, limit: 10)
            #expect(Set(found.map(\.id)) == Set(mine.map(\.id)))
            #expect(found.allSatisfy { $0.tenantID == Fixtures.tenantA })
            #expect(try await store.repository.transactions(counterpartyAccountIndex: index, tenant: Fixtures.tenantA, after: nil, limit: 2).count == 2)
            #expect(try await store.repository.transactions(counterpartyAccountIndex: index ^ 1, tenant: Fixtures.tenantA, after: nil, limit: 10).isEmpty)
        }
    }
}
