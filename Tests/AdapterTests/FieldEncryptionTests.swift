import Domain
import Foundation
import Logging
import NIOCore
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters
import TestSupport
import Testing

/// Field encryption against a real PostgreSQL (docs/encryption.md): what the use cases and the
/// key operations promise, with the database's own concurrency.
@Suite struct FieldEncryptionTests {
    /// Everything one test needs, on one scratch database.
    struct World: Sendable {
        let client: PostgresClient
        let keeper: PostgresGroupCommitKeeper
        let single: PostgresRecordKeeper
        let repository: PostgresTransactionRepository
        let store: PostgresDataKeyStore
        let administration: PostgresKeyAdministration
        let fields: FieldProtection
        let record: RecordTransaction
        let get: GetTransaction
        let find: FindTransactions

        static let context = AuditContext(actor: "test")

        init(client: PostgresClient) {
            let logger = Logger(label: "test")
            let usage = PoolUsage(connectionsMax: 16)
            let clock = SystemClock()
            self.client = client
            keeper = PostgresGroupCommitKeeper(client: client, origins: AuditOrigins(), clock: clock, usage: usage, logger: logger)
            single = PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: clock, usage: usage, logger: logger)
            repository = PostgresTransactionRepository(client: client, usage: usage, logger: logger)
            store = PostgresDataKeyStore(client: client, usage: usage, logger: logger)
            administration = PostgresKeyAdministration(client: client, usage: usage, logger: logger, keeper: single)
            fields = Sealing.protection(keys: store, keeper: keeper)
            record = RecordTransaction(
                keeper: keeper, clock: clock, ids: UUIDv7Generator(clock: clock), fields: fields, policies: PolicyFixtures.source, history: repository
            )
            get = GetTransaction(repository: repository, keeper: keeper, fields: fields)
            find = FindTransactions(repository: repository, keeper: keeper, fields: fields)
        }

        /// Records a transaction of `account` paying `counterparty`.
        func pay(_ account: String, to counterparty: String, name: String? = nil, tenant: TenantID = Fixtures.tenantA) async throws -> Transaction {
            var draft = Fixtures.draft()
            draft.accountID = .present(account)
            draft.counterpartyAccount = .present(counterparty)
            if let name { draft.counterpartyName = .present(name) }
            return try await record(draft, tenant: tenant, context: Self.context)
        }

        func read(_ id: TransactionID, tenant: TenantID = Fixtures.tenantA) async throws -> Transaction {
            try await get(id: id, tenant: tenant, context: Self.context)
        }

        func scalar(_ sql: String) async throws -> Int64 {
            var value: Int64 = -1
            for try await count in try await client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")).decode(Int64.self) {
                value = count
            }
            return value
        }
    }

    func withWorld(_ body: (World) async throws -> Void) async throws {
        try await TestDatabase.withDatabase(fixtureKeys: false, connectionsMax: 16) { client, _ in try await body(World(client: client)) }
    }

    @Test func recordedFieldsReadBackAndAreFoundByBlindIndex() async throws {
        try await withWorld { world in
            let paid = try await world.pay("ACC-1", to: "DE44500105175407324931", name: "  Zoë   Müller ")
            let read = try await world.read(paid.id)
            #expect(read == paid)
            #expect(read.counterpartyName?.value?.value == "  Zoë   Müller ")
            _ = try await world.pay("ACC-2", to: "FR7630006000011234567890189")
            // Exact match only; normalisation ignores case.
            let found = try await world.find(counterpartyAccount: "de44500105175407324931", tenant: Fixtures.tenantA, limit: 10, context: World.context).items
            #expect(found.map(\.id) == [paid.id])
            #expect(try await world.find(counterpartyAccount: "DE44500105175407324932", tenant: Fixtures.tenantA, limit: 10, context: World.context).items.isEmpty)
            #expect(try await world.find(counterpartyAccount: "DE44500105175407324931", tenant: Fixtures.tenantB, limit: 10, context: World.context).items.isEmpty,
                    "another tenant's index keys differ, and its rows are never read")
        }
    }

    /// The acceptance check: a raw read of every table shows none of the planted values, neither
    /// as text nor as bytes (hex); the audit payloads hold digests of ciphertexts instead.
    @Test func rawTablesHoldNoPlaintext() async throws {
        try await withWorld { world in
            let account = "CANARY4111111111111111"
            let name = "Canary Quetzalcoatl"
            let paid = try await world.pay("ACC-9", to: account, name: name)
            _ = try await world.read(paid.id)
            _ = try await world.find(counterpartyAccount: account, tenant: Fixtures.tenantA, limit: 5, context: World.context)
            var tables: [String] = []
            for try await table in try await world.client.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: Logger(label: "test")
            ).decode(String.self) { tables.append(table) }
            #expect(tables.contains("transactions") && tables.contains("data_keys") && tables.contains("audit_entries"))
            let needles = [account, name, "canary", Data(account.utf8).map { String(format: "%02x", $0) }.joined(),
                           Data(name.utf8).map { String(format: "%02x", $0) }.joined()]
            for table in tables {
                var dump = ""
                for try await text in try await world.client.query(
                    PostgresQuery(unsafeSQL: "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"\(table)\" t"), logger: Logger(label: "test")
                ).decode(String.self) { dump = text.lowercased() }
                for needle in needles {
                    #expect(!dump.contains(needle.lowercased()), "\(table) holds \(needle)")
                }
            }
            let digest = try await world.scalar("""
                SELECT count(*) FROM audit_entries WHERE position(convert_to('counterparty_account_sha256', 'UTF8') IN leaf) > 0
                """)
            #expect(digest == 1, "the recorded entry names the ciphertext's digest")
        }
    }

    @Test func shreddingErasesASubjectAndOnlyItWhileTheLogsStillVerify() async throws {
        try await withWorld { world in
            let gone = [try await world.pay("ACC-GONE", to: "GB33BUKB20201555555555", name: "Ada Gone"),
                        try await world.pay("ACC-GONE", to: "GB33BUKB20201555555555")]
            let kept = try await world.pay("ACC-KEPT", to: "GB94BARC10201530093459", name: "Bob Kept")
            let (keys, rows) = try await ShredSubject(administration: world.administration)(
                DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-GONE")!), context: World.context
            )
            #expect(keys.count == 1 && rows == 2)
            for transaction in gone {
                let read = try await world.read(transaction.id)
                #expect(read.counterpartyAccount == .erased, "a clear marker, not an error")
                if transaction.counterpartyName != nil { #expect(read.counterpartyName == .erased) }
                #expect(read.money == transaction.money && read.accountID == transaction.accountID, "the rest of the row stays")
            }
            #expect(try await world.read(kept.id) == kept)
            #expect(try await world.find(counterpartyAccount: "GB33BUKB20201555555555", tenant: Fixtures.tenantA, limit: 10, context: World.context).items.isEmpty)
            #expect(try await world.find(counterpartyAccount: "GB94BARC10201530093459", tenant: Fixtures.tenantA, limit: 10, context: World.context).items.map(\.id) == [kept.id])
            #expect(try await world.scalar("SELECT count(*) FROM data_keys WHERE status = 'destroyed' AND wrapped IS NULL") == 1)
            await #expect(throws: KeyOperationError.noLiveKeys) {
                _ = try await ShredSubject(administration: world.administration)(
                    DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-GONE")!), context: World.context
                )
            }
            // New data of the subject gets a new key; the erased rows stay erased.
            let later = try await world.pay("ACC-GONE", to: "GB33BUKB20201555555555")
            #expect(try await world.read(later.id) == later)
            #expect(try await world.read(gone[0].id).counterpartyAccount == .erased)
            // Both logs still verify: they hold ids and digests, never the shredded values.
            let reader = PostgresAuditLogStore(client: world.client, logger: Logger(label: "test"))
            for scope in [AuditScope.tenant(Fixtures.tenantA), .system] {
                let origin = AuditOrigins().origin(of: scope)
                let entries = try await reader.entries(origin: origin, from: 0, count: 1_000)
                #expect(!entries.isEmpty)
                #expect(try verifyStoredLog(entries, origin: origin).verified)
            }
            let shredded = try await reader.entries(origin: AuditOrigins().origin(of: .system), from: 0, count: 1_000)
                .map { try AuditLeaf(decoding: $0) }.filter { $0.eventType == "keys.subject_shredded" }
            #expect(shredded.count == 1)
            #expect(!String(decoding: shredded[0].payload, as: UTF8.self).contains("ACC-GONE"))
        }
    }

    /// A writer that remembers a key a shred has since destroyed (`CachedDataKeyStore`) is
    /// refused by the database, nothing stored, and records under the subject's new key: no
    /// acknowledged write is ever sealed under a destroyed key.
    @Test func aWriteWithAKeyShreddedMeanwhileIsRefusedThenSealedAnew() async throws {
        try await withWorld { world in
            let subject = DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-RACE")!)
            let cached = CachedDataKeyStore(world.store)
            let fields = Sealing.protection(keys: cached, keeper: world.keeper)
            let record = RecordTransaction(
                keeper: world.keeper, clock: SystemClock(), ids: UUIDv7Generator(clock: SystemClock()), fields: fields,
                policies: PolicyFixtures.source, history: world.repository
            )
            var draft = Fixtures.draft()
            draft.accountID = .present("ACC-RACE")
            _ = try await record(draft, tenant: Fixtures.tenantA, context: World.context)
            let remembered = try #require(try await cached.activeKey(of: subject))
            _ = try await ShredSubject(administration: world.administration)(subject, context: World.context)
            #expect(try await cached.activeKey(of: subject) == remembered, "still remembered")
            // Straight to the keeper with the destroyed key: refused, nothing stored.
            let stale = try fields.seal(Fixtures.transaction(account: subject.id.value), key: remembered)
            await #expect(throws: DataKeyError.keyNotActive) {
                _ = try await world.keeper.commit(AuditedChange(writes: [.insertTransaction(stale)], events: [AuditEvent(
                    scope: .tenant(Fixtures.tenantA), eventType: "transaction.recorded", context: World.context, outcome: .success,
                    resourceType: "transaction", resourceID: stale.id.description
                )]))
            }
            #expect(try await world.scalar("SELECT count(*) FROM transactions") == 1)
            // Through the use case: refused once, then sealed under a new key, and readable.
            let later = try await record(draft, tenant: Fixtures.tenantA, context: World.context)
            #expect(try await world.read(later.id) == later)
            #expect(try await world.store.activeKey(of: subject)?.reference.version == 2)
            #expect(try await world.scalar("SELECT count(*) FROM transactions") == 2)
        }
    }

    /// The same after a rotation: a remembered key that was superseded is refused and replaced.
    @Test func aWriteWithAKeyRotatedMeanwhileIsSealedUnderTheNewKey() async throws {
        try await withWorld { world in
            let subject = DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-ROT")!)
            let cached = CachedDataKeyStore(world.store)
            let fields = Sealing.protection(keys: cached, keeper: world.keeper)
            let record = RecordTransaction(
                keeper: world.keeper, clock: SystemClock(), ids: UUIDv7Generator(clock: SystemClock()), fields: fields,
                policies: PolicyFixtures.source, history: world.repository
            )
            var draft = Fixtures.draft()
            draft.accountID = .present("ACC-ROT")
            _ = try await record(draft, tenant: Fixtures.tenantA, context: World.context)
            _ = try await RotateTenantKeys(administration: world.administration, store: world.store, cipher: Sealing.cipher)(
                tenant: Fixtures.tenantA, context: World.context
            )
            let later = try await record(draft, tenant: Fixtures.tenantA, context: World.context)
            #expect(try await world.read(later.id) == later)
            #expect(try await world.scalar("""
                SELECT k.version FROM transactions t JOIN data_keys k ON k.id = t.data_key_id WHERE t.id = '\(later.id)'
                """) == 2)
            #expect(try await cached.activeKey(of: subject)?.reference.version == 2)
        }
    }

    /// Rotation and re-encryption while writers keep writing: every row stays readable, rows end on
    /// the newest keys, and an old key is retired only once no row uses it.
    @Test func rotationAndReencryptionUnderConcurrentWritesLoseNothing() async throws {
        try await withWorld { world in
            let accounts = ["ACC-R1", "ACC-R2", "ACC-R3"]
            var written: [Transaction] = []
            for n in 0..<45 { written.append(try await world.pay(accounts[n % 3], to: "CP-\(n)", name: n % 2 == 0 ? "Name \(n)" : nil)) }
            let during = try await withThrowingTaskGroup(of: [Transaction].self) { group in
                group.addTask {
                    var made: [Transaction] = []
                    for n in 0..<60 { made.append(try await world.pay(accounts[n % 3], to: "LIVE-\(n)")) }
                    return made
                }
                group.addTask {
                    let rotation = try await RotateTenantKeys(administration: world.administration, store: world.store, cipher: Sealing.cipher)(
                        tenant: Fixtures.tenantA, context: World.context
                    )
                    #expect(rotation.fromVersion == 1 && rotation.toVersion == 2)
                    #expect(rotation.rewrapped.count == 3 && rotation.added.count == 3)
                    _ = try await ReencryptTenant(administration: world.administration, fields: world.fields)(
                        tenant: Fixtures.tenantA, batch: 7, context: World.context
                    )
                    return []
                }
                return try await group.reduce(into: [Transaction]()) { $0 += $1 }
            }
            written += during
            // A writer that sealed with a key just superseded is moved by a second run.
            let second = try await ReencryptTenant(administration: world.administration, fields: world.fields)(
                tenant: Fixtures.tenantA, batch: 1_000, context: World.context
            )
            #expect(second.rows >= 0)
            for transaction in written { #expect(try await world.read(transaction.id) == transaction) }
            #expect(try await world.scalar("SELECT count(*) FROM transactions") == 105)
            #expect(try await world.scalar("""
                SELECT count(*) FROM transactions t JOIN data_keys k ON k.id = t.data_key_id WHERE k.status <> 'active'
                """) == 0, "every row on its subject's active key")
            #expect(try await world.scalar("SELECT count(*) FROM data_keys WHERE status = 'active' AND version = 2") == 3)
            #expect(try await world.scalar("SELECT count(*) FROM data_keys WHERE status = 'retired' AND version = 1") == 3)
            #expect(try await world.scalar("SELECT count(*) FROM data_keys WHERE kek_version <> 2") == 0, "rewrapped")
            #expect(try await world.scalar("SELECT count(*) FROM key_encryption_keys WHERE status = 'retired' AND version = 1") == 1)
            let status = try await world.administration.status(tenant: Fixtures.tenantA, eachKey: true)
            #expect(status.dataKeys.first { $0.status == .active }?.rows == 105)
            #expect(status.dataKeys.first { $0.status == .retired }?.rows == 0)
            #expect(status.eachKey.count == 6)
            #expect(status.eachKey.filter { $0.status == .active }.map(\.rows).reduce(0, +) == 105)
            #expect(status.eachKey.allSatisfy { $0.status == .active || $0.rows == 0 }, "no retired key protects a row")
        }
    }

    /// A superseded key that still protects a row is not retired.
    @Test func aKeyStillInUseIsNotRetired() async throws {
        try await withWorld { world in
            let first = try await world.pay("ACC-U", to: "CP-1")
            _ = try await RotateTenantKeys(administration: world.administration, store: world.store, cipher: Sealing.cipher)(
                tenant: Fixtures.tenantA, context: World.context
            )
            let retired = try await world.administration.retireUnused(tenant: Fixtures.tenantA) { _ in
                AuditEvent(scope: .system, eventType: "keys.data_keys_retired", context: World.context, outcome: .success,
                           resourceType: "tenant", resourceID: Fixtures.tenantA.description)
            }
            #expect(retired.isEmpty)
            #expect(try await world.scalar("SELECT count(*) FROM data_keys WHERE status = 'superseded'") == 1)
            #expect(try await world.read(first.id) == first, "a superseded key still opens its rows")
            let moved = try await ReencryptTenant(administration: world.administration, fields: world.fields)(
                tenant: Fixtures.tenantA, batch: 10, context: World.context
            )
            #expect(moved.rows == 1 && moved.retired.count == 1)
        }
    }

    /// Rows stored in plaintext before field encryption read as before, cannot be shredded until
    /// sealed, and are sealed by `reencrypt`.
    @Test func plaintextRowsAreSealedByReencrypt() async throws {
        try await withWorld { world in
            let id = UUID()
            try await world.client.query(
                """
                INSERT INTO transactions (tenant_id, id, account_id, counterparty_account, amount_minor, currency, direction, kind,
                                          occurred_at, recorded_at, status)
                VALUES (\(Fixtures.tenantA.rawValue), \(id), 'ACC-OLD', 'OLD-COUNTERPARTY-77', 5, 'EUR', 'debit', 'cash', now(), now(),
                        'posted')
                """,
                logger: Logger(label: "test")
            )
            let before = try await world.read(TransactionID(id))
            #expect(before.counterpartyAccount == .value(AccountIdentifier("OLD-COUNTERPARTY-77")!))
            await #expect(throws: KeyOperationError.plaintextRows(1)) {
                _ = try await ShredSubject(administration: world.administration)(
                    DataSubject(tenant: Fixtures.tenantA, id: AccountIdentifier("ACC-OLD")!), context: World.context
                )
            }
            let moved = try await ReencryptTenant(administration: world.administration, fields: world.fields)(
                tenant: Fixtures.tenantA, batch: 10, context: World.context
            )
            #expect(moved.rows == 1)
            #expect(try await world.read(TransactionID(id)) == before)
            #expect(try await world.scalar("SELECT count(*) FROM transactions WHERE counterparty_account IS NOT NULL") == 0)
            #expect(try await world.find(counterpartyAccount: "OLD-COUNTERPARTY-77", tenant: Fixtures.tenantA, limit: 5, context: World.context).items.count == 1)
        }
    }

    /// A sealed field moved to another row does not open: the read fails closed, typed.
    @Test func aCiphertextMovedToAnotherRowFailsClosed() async throws {
        try await withWorld { world in
            let one = try await world.pay("ACC-M", to: "CP-ONE")
            let two = try await world.pay("ACC-M", to: "CP-TWO")
            try await world.client.query(
                """
                UPDATE transactions SET counterparty_account_ct = (SELECT counterparty_account_ct FROM transactions WHERE id = \(one.id.rawValue))
                WHERE id = \(two.id.rawValue)
                """,
                logger: Logger(label: "test")
            )
            await #expect(throws: FieldCipherError.authenticationFailed) { _ = try await world.read(two.id) }
            #expect(try await world.read(one.id) == one)
        }
    }
}
