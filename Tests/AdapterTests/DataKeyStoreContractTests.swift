import Domain
import Foundation
import Logging
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
import SystemAdapters
import TestSupport
import Testing

/// The contract of `DataKeyStore` (with keys added through a `RecordKeeper`, as the core adds
/// them), run against the in-memory and the PostgreSQL adapter, concurrency included.
enum KeyStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory, postgres
    var testDescription: String { rawValue }

    struct Harness: Sendable {
        let store: any DataKeyStore
        let keeper: any RecordKeeper
        /// The system log's entries.
        let systemEntries: @Sendable () async throws -> [[UInt8]]
    }

    func with(_ body: (Harness) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            let repository = InMemoryTransactionRepository()
            let keeper = InMemoryRecordKeeper(transactions: repository, clock: SystemClock())
            try await body(Harness(store: repository.keys, keeper: keeper, systemEntries: { keeper.entries(of: .system) }))
        case .postgres:
            try await TestDatabase.withDatabase(fixtureKeys: false, connectionsMax: 16) { client, _ in
                let logger = Logger(label: "test")
                let usage = PoolUsage(connectionsMax: 16)
                let reader = PostgresAuditLogStore(client: client, logger: logger)
                try await body(Harness(
                    store: PostgresDataKeyStore(client: client, usage: usage, logger: logger),
                    keeper: PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger),
                    systemEntries: { try await reader.entries(origin: AuditOrigins().origin(of: .system), from: 0, count: 1_000) }
                ))
            }
        }
    }
}

@Suite struct DataKeyStoreContractTests {
    static let subject = DataSubject(tenant: Fixtures.tenantA, id: Sealing.subjectAccount)

    @Test(arguments: KeyStoreKind.allCases)
    func theFirstKEKVersionIsOneAndStaysSo(kind: KeyStoreKind) async throws {
        try await kind.with { h in
            let versions = try await withThrowingTaskGroup(of: UInt32.self) { group in
                for _ in 0..<8 { group.addTask { try await h.store.currentKEKVersion(tenant: Fixtures.tenantA) } }
                return try await group.reduce(into: Set<UInt32>()) { $0.insert($1) }
            }
            #expect(versions == [1])
        }
    }

    @Test(arguments: KeyStoreKind.allCases)
    func anAddedKeyReadsBackByIdAndAsActiveInItsTenantOnly(kind: KeyStoreKind) async throws {
        try await kind.with { h in
            #expect(try await h.store.activeKey(of: Self.subject) == nil)
            #expect(try await h.store.newestVersion(of: Self.subject) == nil)
            let key = Sealing.key(Fixtures.tenantA)
            _ = try await h.keeper.commit(Sealing.addKey(Fixtures.tenantA))
            #expect(try await h.store.activeKey(of: Self.subject) == key)
            #expect(try await h.store.key(key.reference.id, tenant: Fixtures.tenantA) == key)
            #expect(try await h.store.key(key.reference.id, tenant: Fixtures.tenantB) == nil, "keys are scoped by tenant")
            #expect(try await h.store.newestVersion(of: Self.subject) == 1)
            #expect(try await h.store.activeKey(of: DataSubject(tenant: Fixtures.tenantB, id: Sealing.subjectAccount)) == nil)
        }
    }

    @Test(arguments: KeyStoreKind.allCases)
    func aSecondActiveKeyIsRefusedWithNothingWritten(kind: KeyStoreKind) async throws {
        try await kind.with { h in
            _ = try await h.keeper.commit(Sealing.addKey(Fixtures.tenantA))
            let entries = try await h.systemEntries().count
            let reference = DataKeyReference(id: DataKeyID(UUID()), version: 2)
            let second = DataKeyRecord(
                reference: reference, subject: Self.subject, status: .active,
                wrapped: try Sealing.cipher.makeDataKey(reference, tenant: Fixtures.tenantA, kekVersion: 1)
            )
            let change = AuditedChange(writes: [.addDataKey(second)], events: [AuditEvent(
                scope: .system, eventType: "keys.data_key_created", context: .unauthenticated, outcome: .success,
                resourceType: "data_key", resourceID: reference.id.description
            )])
            await #expect(throws: DataKeyError.keyExists) { _ = try await h.keeper.commit(change) }
            #expect(try await h.store.key(reference.id, tenant: Fixtures.tenantA) == nil)
            #expect(try await h.systemEntries().count == entries, "no entry for a refused key")
        }
    }

    /// Many first writers of one subject at once: one key is made and shared, one entry records it.
    @Test(arguments: KeyStoreKind.allCases)
    func concurrentFirstWritersShareOneKey(kind: KeyStoreKind) async throws {
        try await kind.with { h in
            let fields = Sealing.protection(keys: h.store, keeper: h.keeper)
            let subject = DataSubject(tenant: Fixtures.tenantB, id: AccountIdentifier("ACC-RACE")!)
            let keys = try await withThrowingTaskGroup(of: DataKeyReference.self) { group in
                for _ in 0..<16 { group.addTask { try await fields.activeKey(of: subject, context: .unauthenticated).reference } }
                return try await group.reduce(into: Set<DataKeyReference>()) { $0.insert($1) }
            }
            #expect(keys.count == 1)
            #expect(try await h.store.activeKey(of: subject)?.reference == keys.first)
            let made = try await h.systemEntries().map { try AuditLeaf(decoding: $0) }.filter { $0.eventType == "keys.data_key_created" }
            #expect(made.count == 1)
        }
    }
}
