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

/// migrations/0004: the audit tables are insert-only for the application, appends are sequenced by
/// an advisory lock, heads are derived from the newest entry, and the database itself refuses an
/// entry that does not follow its predecessor.
@Suite struct AuditInsertOnlyTests {
    static let origin = AuditOrigins().origin(of: .tenant(Fixtures.tenantA))
    let logger = Logger(label: "test")

    func keeper(_ client: PostgresClient) -> PostgresRecordKeeper {
        PostgresRecordKeeper(client: client, origins: AuditOrigins(), clock: SystemClock(), usage: PoolUsage(connectionsMax: 4), logger: logger)
    }

    /// Tenant A's log with `count` entries, and its head as the application derives it.
    func logWith(_ count: Int, _ client: PostgresClient) async throws -> AuditLogHead {
        for _ in 0..<count { _ = try await keeper(client).commit(recorded(Fixtures.transaction())) }
        return try #require(try await PostgresAuditLogStore(client: client, logger: logger).head(origin: Self.origin))
    }

    /// Inserts `leaves` as the application does (one statement of column arrays), with optional
    /// replacement leaf hashes; returns the SQLSTATE of the refusal, or nil when stored.
    func insert(_ leaves: [AuditLeaf], hashes: [[UInt8]]? = nil, _ client: PostgresClient) async -> String? {
        let hashes = hashes ?? leaves.map(\.leafHash)
        do {
            try await client.query(
                """
                INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
                SELECT * FROM unnest(\(leaves.map(\.origin))::text[], \(leaves.map { Int64($0.index) })::bigint[],
                                     \(leaves.map { ByteBuffer(bytes: $0.encoded) })::bytea[], \(hashes.map { ByteBuffer(bytes: $0) })::bytea[])
                """,
                logger: logger
            )
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] ?? "?"
        } catch {
            return "\(error)"
        }
    }

    func next(_ head: AuditLogHead, _ count: Int = 1, nowMs: UInt64 = 1_795_512_600_000) throws -> [AuditLeaf] {
        var head = head
        return try (0..<count).map { _ in
            try head.append(eventType: "transaction.recorded", actor: "test", payload: ["outcome": "success"], nowMs: nowMs)
        }
    }

    @Test func theRegistryOfLogsRefusesUpdates() async throws {
        try await TestDatabase.withDatabase { client, _ in
            _ = try await logWith(1, client)
            let error = await #expect(throws: PSQLError.self) {
                try await client.query("UPDATE audit_logs SET created_at = now()", logger: logger)
            }
            #expect(error?.serverInfo?[.sqlState] == "42501")
        }
    }

    @Test func anEntryAfterAGapIsRefused() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let head = try await logWith(2, client)
            let leaves = try next(head, 2)
            #expect(await insert([leaves[1]], client) == "23503", "entry 3 without entry 2")
            #expect(try await TestDatabase.count("audit_entries", client) == 2)
            #expect(await insert(leaves, client) == nil, "with its predecessor in the same statement it goes in")
        }
    }

    /// Entry 0 needs its log registered (migrations/0010, which replaced the foreign key); every
    /// later entry needs a predecessor in the same log, so it is registered too.
    @Test func anEntryOfAnUnregisteredLogIsRefused() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let unregistered = AuditOrigins().origin(of: .tenant(Fixtures.tenantB))
            let first = try next(AuditLogHead(origin: unregistered, size: 0, lastLeafHash: [UInt8](repeating: 0, count: 32), lastTimestampMs: 0), 2)
            #expect(await insert(first, client) == "23503", "entry 0 of a log missing from audit_logs")
            #expect(await insert([first[1]], client) == "23503", "entry 1 of it, without entry 0")
            #expect(try await TestDatabase.count("audit_entries", client) == 0)
            try await client.query("INSERT INTO audit_logs (origin, tenant_id) VALUES (\(unregistered), \(Fixtures.tenantB.rawValue))", logger: logger)
            #expect(await insert(first, client) == nil, "once registered, it goes in")
        }
    }

    @Test func aForkIsRefused() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let head = try await logWith(2, client)
            let stored = try #require(AuditLogHead.restored(
                origin: Self.origin, size: 1, lastLeafHash: try await leafHash(of: 0, client), lastTimestampMs: 0
            ))
            #expect(await insert(try next(stored), client) == "23505", "a second entry 1")
            #expect(try await PostgresAuditLogStore(client: client, logger: logger).head(origin: Self.origin) == head)
        }
    }

    @Test func aBrokenLinkIsRefused() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let head = try await logWith(2, client)
            let unlinked = AuditLogHead(origin: Self.origin, size: head.size, lastLeafHash: [UInt8](repeating: 7, count: 32), lastTimestampMs: 0)
            #expect(await insert(try next(unlinked), client) == "23514")
            #expect(try await TestDatabase.count("audit_entries", client) == 2)
        }
    }

    @Test func anEntryOlderThanItsPredecessorIsRefused() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let head = try await logWith(2, client)
            let early = AuditLogHead(origin: Self.origin, size: head.size, lastLeafHash: head.lastLeafHash, lastTimestampMs: 0)
            #expect(await insert(try next(early, nowMs: head.lastTimestampMs - 1), client) == "23514")
            #expect(await insert(try next(early, nowMs: head.lastTimestampMs), client) == nil, "the same time is allowed")
        }
    }

    @Test func anEntryThatDisagreesWithItsRowIsRefused() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let head = try await logWith(1, client)
            let leaf = try next(head)[0]
            #expect(await insert([leaf], hashes: [[UInt8](repeating: 1, count: 32)], client) == "23514", "a leaf hash not the leaf's")
            let elsewhere = try AuditLeaf(
                origin: Self.origin + "x", index: leaf.index, timestampMs: leaf.timestampMs, previousLeafHash: leaf.previousLeafHash,
                eventType: leaf.eventType, actor: leaf.actor, payload: leaf.payload
            )
            do {
                try await client.query(
                    """
                    INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
                    VALUES (\(Self.origin), 1, \(ByteBuffer(bytes: elsewhere.encoded)), \(ByteBuffer(bytes: elsewhere.leafHash)))
                    """,
                    logger: logger
                )
                Issue.record("an entry of another origin was stored")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.sqlState] == "23514")
            }
            #expect(try await TestDatabase.count("audit_entries", client) == 1)
        }
    }

    /// The application's own statement inserts a run of entries whatever the order of its rows.
    @Test func aRunOfEntriesGoesInInAnyOrder() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let head = try await logWith(1, client)
            #expect(await insert(try next(head, 5).reversed(), client) == nil)
            let stored = try await PostgresAuditLogStore(client: client, logger: logger).indexedEntries(origin: Self.origin, from: 0, count: 10)
            #expect(stored.map(\.index) == Array(0..<6))
            #expect(try verifyStoredLog(stored.map(\.leaf), origin: Self.origin).verified)
        }
    }

    @Test func theHeadIsTheNewestEntry() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let store = PostgresAuditLogStore(client: client, logger: logger)
            #expect(try await store.head(origin: Self.origin) == nil, "never registered")
            let head = try await logWith(3, client)
            let newest = try AuditLeaf(decoding: try #require(try await store.entries(origin: Self.origin, from: 2, count: 1).first))
            #expect(head == AuditLogHead(origin: Self.origin, size: 3, lastLeafHash: newest.leafHash, lastTimestampMs: newest.timestampMs))
            _ = try await client.query("INSERT INTO audit_logs (origin) VALUES ('custos.localhost/audit/empty')", logger: logger)
            #expect(try await store.head(origin: "custos.localhost/audit/empty") == AuditLogHead(origin: "custos.localhost/audit/empty"))
        }
    }

    /// A newest entry that does not decode, or disagrees with its row, is an error, never a trap,
    /// and the keeper appends nothing after it.
    @Test func aTamperedNewestEntryIsACorruptRow() async throws {
        try await TestDatabase.withDatabase { client, _ in
            _ = try await logWith(2, client)
            _ = try await client.query("ALTER TABLE audit_entries DISABLE TRIGGER USER", logger: logger)
            _ = try await client.query("UPDATE audit_entries SET leaf = substring(leaf FROM 1 FOR 20) WHERE idx = 1", logger: logger)
            _ = try await client.query("ALTER TABLE audit_entries ENABLE TRIGGER USER", logger: logger)
            await #expect(throws: CorruptRow.self) { try await PostgresAuditLogStore(client: client, logger: logger).head(origin: Self.origin) }
            await #expect(throws: CorruptRow.self) { try await keeper(client).commit(recorded(Fixtures.transaction())) }
            #expect(try await TestDatabase.count("transactions", client) == 2, "the change was rolled back")
        }
    }

    @Test func logsAwaitACheckpointUntilOneCoversTheirNewestEntry() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let store = PostgresAuditLogStore(client: client, logger: logger)
            let originB = AuditOrigins().origin(of: .tenant(Fixtures.tenantB))
            _ = try await logWith(2, client)
            _ = try await keeper(client).commit(recorded(Fixtures.transaction(tenant: Fixtures.tenantB)))
            #expect(try await store.originsAwaitingCheckpoint(limit: 10) == [Self.origin, originB])
            #expect(try await store.originsAwaitingCheckpoint(limit: 1) == [Self.origin])
            let sign = SignCheckpoint(
                store: store, signer: try SodiumAuditKeyring(rootKey: [UInt8](repeating: 5, count: 32)),
                verifier: try SodiumSignatureVerifier(), clock: SystemClock()
            )
            try await sign(origin: Self.origin)
            #expect(try await store.originsAwaitingCheckpoint(limit: 10) == [originB])
            _ = try await keeper(client).commit(recorded(Fixtures.transaction()))
            #expect(try await store.originsAwaitingCheckpoint(limit: 10) == [Self.origin, originB], "grown since its checkpoint")
        }
    }

    /// The keeper takes the documented lock: while another transaction holds tenant A's lock, its
    /// commit waits for it (seen in pg_locks), then appends after the holder's entry.
    @Test func appendsWaitForTheLogsAdvisoryLock() async throws {
        try await TestDatabase.withDatabase { client, url in
            _ = try await logWith(1, client)
            try await TestDatabase.withClient(url, connectionsMax: 1) { holder in
                try await holder.withConnection { connection in
                    _ = try await connection.query("BEGIN", logger: logger)
                    let rows = try await connection.query(
                        "SELECT idx FROM custos_audit_lock_logs(ARRAY[\(Self.origin)], ARRAY[\(Fixtures.tenantA.rawValue)])", logger: logger
                    )
                    for try await index in rows.decode(Int64?.self) { #expect(index == 0) }
                    let waiting = Task { try await keeper(client).commit(recorded(Fixtures.transaction())) }
                    var seen = false
                    for _ in 0..<500 where !seen {
                        let waiters = try await client.query(
                            """
                            SELECT count(*)::bigint FROM pg_locks
                            WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
                              AND classid::bigint = (custos_audit_lock_key(\(Self.origin)) >> 32) & 4294967295
                              AND objid::bigint = custos_audit_lock_key(\(Self.origin)) & 4294967295
                            """,
                            logger: logger
                        )
                        for try await count in waiters.decode(Int64.self) { seen = count == 1 }
                        if !seen { try await Task.sleep(for: .milliseconds(10)) }
                    }
                    #expect(seen, "the keeper waits on tenant A's advisory lock")
                    let head = try #require(try await PostgresAuditLogStore(client: client, logger: logger).head(origin: Self.origin))
                    _ = try await connection.query(
                        """
                        INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
                        VALUES (\(Self.origin), 1, \(ByteBuffer(bytes: try next(head)[0].encoded)), \(ByteBuffer(bytes: try next(head)[0].leafHash)))
                        """,
                        logger: logger
                    )
                    _ = try await connection.query("COMMIT", logger: logger)
                    #expect(try await waiting.value == [AuditReceipt(origin: Self.origin, index: 2)])
                }
            }
            let stored = try await PostgresAuditLogStore(client: client, logger: logger).entries(origin: Self.origin, from: 0, count: 10)
            #expect(try verifyStoredLog(stored, origin: Self.origin).verified)
        }
    }

    @Test func lockKeysFollowTheDocumentedDerivation() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let rows = try await client.query(
                "SELECT custos_audit_lock_key(\(Self.origin)), custos_audit_lock_key('x/y')", logger: logger
            )
            for try await (key, other) in rows.decode((Int64, Int64).self) {
                let digest = SHA256.hash(Array("custos audit append lock v1\n\(Self.origin)".utf8))
                #expect(key == Int64(bitPattern: digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
                #expect(key != other)
            }
        }
    }

    /// A database at 0003, with a log written as the code of that schema wrote it (entries and a
    /// head row kept in step); `tamper` runs before 0004 is applied.
    func migrateFrom0003(tamper: String? = nil, _ body: (PostgresClient, AuditLogHead, Result<[String], any Error>) async throws -> Void) async throws {
        let old = FileManager.default.temporaryDirectory.appendingPathComponent("custos-0003-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: old) }
        for name in ["0001_transactions.sql", "0002_audit_log.sql", "0003_audit_head_checks.sql"] {
            try FileManager.default.copyItem(
                at: TestDatabase.migrationsDirectory.appendingPathComponent(name), to: old.appendingPathComponent(name)
            )
        }
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let migrator = PostgresMigrator(client: client, logger: logger)
            try await migrator.migrate(try MigrationSet.load(directory: old))
            _ = try await client.query(
                "INSERT INTO audit_logs (origin, tenant_id) VALUES (\(Self.origin), \(Fixtures.tenantA.rawValue))", logger: logger
            )
            var head = AuditLogHead(origin: Self.origin)
            for _ in 0..<3 {
                let leaf = try next(head)[0]
                _ = try await client.query(
                    """
                    INSERT INTO audit_entries (origin, idx, leaf, leaf_hash)
                    VALUES (\(Self.origin), \(Int64(leaf.index)), \(ByteBuffer(bytes: leaf.encoded)), \(ByteBuffer(bytes: leaf.leafHash)))
                    """,
                    logger: logger
                )
                head = try #require(AuditLogHead.restored(
                    origin: Self.origin, size: leaf.index + 1, lastLeafHash: leaf.leafHash, lastTimestampMs: leaf.timestampMs
                ))
            }
            _ = try await client.query(
                """
                UPDATE audit_logs SET size = 3, last_leaf_hash = \(ByteBuffer(bytes: head.lastLeafHash)),
                    last_timestamp_ms = \(Int64(head.lastTimestampMs))
                WHERE origin = \(Self.origin)
                """,
                logger: logger
            )
            for statement in tamper.map({ $0.split(separator: ";").map(String.init) }) ?? [] {
                _ = try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let migrated: Result<[String], any Error>
            do {
                migrated = .success(try await migrator.migrate(try MigrationSet.load(directory: TestDatabase.migrationsDirectory)))
            } catch {
                migrated = .failure(error)
            }
            try await body(client, head, migrated)
        }
    }

    @Test func aLogWrittenUnder0003CarriesOnAfter0004() async throws {
        try await migrateFrom0003 { client, head, migrated in
            #expect(try migrated.get().first == "0004_audit_insert_only.sql")
            #expect(try await PostgresAuditLogStore(client: client, logger: logger).head(origin: Self.origin) == head)
            try await TestDatabase.storeFixtureKey(Fixtures.tenantA, client)  // migrated here, not by the harness
            #expect(try await keeper(client).commit(recorded(Fixtures.transaction())) == [AuditReceipt(origin: Self.origin, index: 3)])
            let stored = try await PostgresAuditLogStore(client: client, logger: logger).entries(origin: Self.origin, from: 0, count: 10)
            #expect(try verifyStoredLog(stored, origin: Self.origin).verified)
        }
    }

    @Test func headRowsThatDisagreeWithTheEntriesStop0004() async throws {
        try await migrateFrom0003(tamper: """
            ALTER TABLE audit_logs DISABLE TRIGGER USER;
            UPDATE audit_logs SET size = 5;
            ALTER TABLE audit_logs ENABLE TRIGGER USER
            """) { client, _, migrated in
            #expect(throws: (any Error).self) { try migrated.get() }
            let rows = try await client.query("SELECT count(*)::bigint FROM schema_migrations WHERE version = 4", logger: logger)
            for try await count in rows.decode(Int64.self) { #expect(count == 0, "0004 was not recorded") }
            #expect(try await TestDatabase.count("audit_entries", client) == 3)
        }
    }

    func leafHash(of index: Int64, _ client: PostgresClient) async throws -> [UInt8] {
        let rows = try await client.query(
            "SELECT leaf_hash FROM audit_entries WHERE origin = \(Self.origin) AND idx = \(index)", logger: logger
        )
        for try await hash in rows.decode(ByteBuffer.self) { return Array(buffer: hash) }
        return []
    }
}
