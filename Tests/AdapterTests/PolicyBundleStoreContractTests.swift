import Domain
import Foundation
import Logging
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
import SystemAdapters
import TestSupport
import Testing

/// The contract of `PolicyBundleStore` with its writer (`ActivatePolicyBundle` through a record
/// keeper), against the in-memory and the PostgreSQL adapter.
@Suite struct PolicyBundleStoreContractTests {
    struct World: Sendable {
        let store: any PolicyBundleStore
        let keeper: any RecordKeeper
        let systemEntries: @Sendable () async throws -> Int
        var activate: ActivatePolicyBundle { ActivatePolicyBundle(store: store, keeper: keeper, clock: SystemClock()) }
    }

    static func withWorld(_ kind: RepositoryKind, _ body: (World) async throws -> Void) async throws {
        switch kind {
        case .inMemory:
            let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), clock: SystemClock())
            try await body(World(store: keeper.policyBundles, keeper: keeper, systemEntries: { keeper.entries(of: .system).count }))
        case .postgres:
            try await TestDatabase.withDatabase(connectionsMax: 12) { client, _ in
                let usage = PoolUsage(connectionsMax: 12)
                let logger = Logger(label: "test")
                let keeper = PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger)
                try await body(World(
                    store: PostgresPolicyBundleStore(client: client, usage: usage, logger: logger), keeper: keeper,
                    systemEntries: { Int(try await TestDatabase.count("audit_entries", client)) }
                ))
            }
        }
    }

    static func bundle(_ version: String) throws -> CompiledBundle {
        let policy = Policy(
            id: "limits", version: version, status: .active, owner: "tests", refs: ["31 CFR 1010.311"],
            inputs: [PolicyInput(name: "txn.amount_minor", type: .int), PolicyInput(name: "txn.kind", type: .string, defaultValue: "card")],
            variables: [PolicyVariable(name: "cash", expression: "txn.kind == 'cash'")],
            rules: [PolicyRule(id: "big", when: "cash && txn.amount_minor >= 900000", score: 40, force: .review, reason: "big cash")],
            thresholds: PolicyThresholds(review: 40, block: 80),
            lists: [PolicyNameList(name: "sanctions", source: "data/s.csv", entries: [NameListEntry(id: "S-1", name: "Ivan Petrov")])]
        )
        return try CompiledBundle([policy])
    }

    @Test(arguments: RepositoryKind.allCases)
    func activationsStoreTheBundleOnceAndTheNewestWins(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            #expect(try await world.store.activeActivation() == nil)
            let one = try Self.bundle("1"), two = try Self.bundle("2")
            _ = try await world.activate(one, context: AuditContext(actor: "officer-a"))
            let active = try #require(try await world.store.activeActivation())
            #expect(active.hash == one.bundleHash && active.actor == "officer-a")
            let (stored, read) = try #require(try await world.store.bundle(hash: one.bundleHash))
            #expect(read == one.bundle, "the bundle reads back exactly, lists and defaults included")
            #expect(stored.hash == one.bundleHash && SHA256.hash(stored.content).hexString == one.bundleHash)
            guard case .activated(_, previous: one.bundleHash?) = try await world.activate(two, context: .unauthenticated) else {
                Issue.record("the second activation names the first")
                return
            }
            _ = try await world.activate(one, context: .unauthenticated)
            #expect(try await world.store.activeActivation()?.hash == one.bundleHash)
            guard case .alreadyActive = try await world.activate(one, context: .unauthenticated) else {
                Issue.record("activating the active bundle changes nothing")
                return
            }
            #expect(try await world.systemEntries() == 3, "three activations, three entries")
            #expect(try await world.store.bundle(hash: String(repeating: "0", count: 64)) == nil)
        }
    }

    @Test(arguments: RepositoryKind.allCases)
    func concurrentActivationsAreAllRecorded(kind: RepositoryKind) async throws {
        try await Self.withWorld(kind) { world in
            let bundles = try (1...8).map { try Self.bundle("v\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for bundle in bundles { group.addTask { _ = try await world.activate(bundle, context: .unauthenticated) } }
                try await group.waitForAll()
            }
            let active = try #require(try await world.store.activeActivation())
            #expect(bundles.map(\.bundleHash).contains(active.hash))
            for bundle in bundles { #expect(try await world.store.bundle(hash: bundle.bundleHash)?.1 == bundle.bundle) }
            // Racing activations may each see "no activation yet" and so none is skipped as a repeat.
            #expect(try await world.systemEntries() == 8)
        }
    }

    /// The tables keep bundles exactly: not even their owner can change or delete one, and content
    /// that does not hash to its name is refused on the way out.
    @Test func storedBundlesCannotBeChangedAndAreCheckedWhenRead() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let logger = Logger(label: "test")
            let usage = PoolUsage(connectionsMax: 4)
            let keeper = PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: SystemClock(), usage: usage, logger: logger)
            let store = PostgresPolicyBundleStore(client: client, usage: usage, logger: logger)
            let bundle = try Self.bundle("1")
            _ = try await ActivatePolicyBundle(store: store, keeper: keeper, clock: SystemClock())(bundle, context: .unauthenticated)
            for sql in [
                "UPDATE policy_bundles SET content = '\\x7b7d'", "DELETE FROM policy_bundles", "TRUNCATE policy_activations",
                "UPDATE policy_activations SET actor = 'someone else'", "DELETE FROM policy_activations",
            ] {
                await #expect(throws: PSQLError.self, "\(sql)") { try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            }
            let forged = String(repeating: "a", count: 64)
            try await client.query("INSERT INTO policy_bundles (hash, content) VALUES (\(forged), \(ByteBuffer(string: "{\"policies\":[]}")))", logger: logger)
            await #expect(throws: PolicyError.self) { _ = try await store.bundle(hash: forged) }
            #expect(try await store.bundle(hash: bundle.bundleHash)?.1 == bundle.bundle)
        }
    }
}
