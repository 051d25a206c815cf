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

/// Checkpoints extend the tree from stored nodes (docs/audit-log.md §10), on both audit-log
/// stores: each signed root equals the root of every stored entry, proofs served from stored
/// nodes verify, and stored nodes that are missing or altered are rebuilt or refused.
@Suite struct CheckpointSigningTests {
    static let origins = AuditOrigins()
    static let origin = origins.origin(of: .tenant(Fixtures.tenantA))

    enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case inMemory, postgres
        var testDescription: String { rawValue }
    }

    struct Harness {
        let keeper: any RecordKeeper
        let store: any AuditLogStore
        /// Runs SQL as a superuser with the audit tables' triggers disabled (PostgreSQL only).
        let tamper: ((String) async throws -> Void)?
        let keyring: SodiumAuditKeyring
        var sign: SignCheckpoint { SignCheckpoint(store: store, signer: keyring, verifier: try! SodiumSignatureVerifier(), clock: SystemClock()) }

        /// Appends `count` entries in one change.
        func grow(by count: Int) async throws {
            let events = (0..<count).map { n in
                AuditEvent(
                    scope: .tenant(Fixtures.tenantA), eventType: "test.appended", context: .unauthenticated,
                    outcome: .success, resourceType: "test", resourceID: "r-\(n)"
                )
            }
            _ = try await keeper.commit(AuditedChange(events: events))
        }

        func allEntries() async throws -> [[UInt8]] {
            var entries: [[UInt8]] = []
            let size = try await store.head(origin: CheckpointSigningTests.origin)?.size ?? 0
            try await store.forEachPage(origin: CheckpointSigningTests.origin, size: size) { _, _, page in entries += page }
            return entries
        }
    }

    func with(_ kind: StoreKind, _ body: (Harness) async throws -> Void) async throws {
        let keyring = try SodiumAuditKeyring(rootKey: [UInt8](repeating: 9, count: 32))
        switch kind {
        case .inMemory:
            let keeper = InMemoryRecordKeeper(transactions: InMemoryTransactionRepository(), origins: Self.origins, clock: SystemClock())
            try await body(Harness(keeper: keeper, store: keeper, tamper: nil, keyring: keyring))
        case .postgres:
            try await TestDatabase.withDatabase { client, _ in
                let logger = Logger(label: "test")
                let keeper = PostgresRecordKeeper(
                    client: client, origins: Self.origins, clock: SystemClock(), usage: PoolUsage(connectionsMax: 4), logger: logger
                )
                let tamper: (String) async throws -> Void = { sql in
                    for table in ["audit_entries", "audit_tree_nodes"] {
                        try await client.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER USER"), logger: logger)
                    }
                    try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                }
                try await body(Harness(
                    keeper: keeper, store: PostgresAuditLogStore(client: client, logger: logger), tamper: tamper, keyring: keyring
                ))
            }
        }
    }

    /// The signed checkpoint's root must be the root of all stored entries, recomputed here.
    func expectCheckpointCoversEverything(_ harness: Harness, _ note: SignedNote) async throws -> Checkpoint {
        let checkpoint = try Checkpoint(parsing: note.text)
        let entries = try await harness.allEntries()
        #expect(checkpoint.size == UInt64(entries.count))
        #expect(checkpoint.rootHash == MerkleTree.root(leafHashes: entries.map { MerkleTree.leafHash($0) }))
        return checkpoint
    }

    @Test(arguments: StoreKind.allCases)
    func checkpointsExtendTheTreeFromStoredNodes(kind: StoreKind) async throws {
        try await with(kind) { harness in
            var previous: Checkpoint?
            // Steps that cross tile boundaries on level 0 and level 8.
            for (step, count) in [1, 254, 1, 300, 1_000, 255].enumerated() {
                try await harness.grow(by: count)
                let signed = try await harness.sign.sign(origin: Self.origin)
                let (note, start) = try #require(signed)
                #expect(start == (step == 0 ? .fresh : .resumed), "step \(step)")
                let checkpoint = try await expectCheckpointCoversEverything(harness, note)

                let reader = ReadAuditLog(store: harness.store, keys: harness.keyring)
                for probe in [UInt64(0), 1, 2, 3, 4] {
                    // Spread over the tree, always including its first and last entries.
                    let index = probe == 4 ? checkpoint.size - 1 : (checkpoint.size * probe) / 4
                    let proof = try await reader.inclusionProof(origin: Self.origin, index: index, size: nil)
                    let leaf = try #require(try await harness.store.entries(origin: Self.origin, from: index, count: 1).first)
                    try MerkleTree.verifyInclusion(
                        leafHash: MerkleTree.leafHash(leaf), index: index, treeSize: checkpoint.size, proof: proof.hashes,
                        root: checkpoint.rootHash
                    )
                }
                if let previous {
                    let proof = try await reader.consistencyProof(origin: Self.origin, from: previous.size, to: nil)
                    try MerkleTree.verifyConsistency(
                        size1: previous.size, size2: checkpoint.size, root1: previous.rootHash, root2: checkpoint.rootHash,
                        proof: proof.hashes
                    )
                }
                previous = checkpoint
            }
            #expect(try await harness.sign.sign(origin: Self.origin) == nil, "nothing new: nothing signed")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentSignersStoreOneConsistentHistory(kind: StoreKind) async throws {
        try await with(kind) { harness in
            try await harness.grow(by: 300)
            try await harness.sign(origin: Self.origin)
            try await harness.grow(by: 700)
            let sign = harness.sign
            let results = try await withThrowingTaskGroup(of: SignedNote?.self) { group in
                for _ in 0..<4 { group.addTask { try await sign(origin: Self.origin) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let signed = results.compactMap { $0 }
            #expect(signed.count == 1, "one signer stores the checkpoint; the others find it superseded")
            let latest = try #require(try await harness.store.latestCheckpoint(origin: Self.origin))
            _ = try await expectCheckpointCoversEverything(harness, try SignedNote(parsing: latest))
            try await harness.grow(by: 10)
            #expect(try await harness.sign.sign(origin: Self.origin)?.start == .resumed)
        }
    }

    @Test func missingStoredNodesAreRebuiltFromTheEntries() async throws {
        try await with(.postgres) { harness in
            try await harness.grow(by: 600)
            try await harness.sign(origin: Self.origin)
            try await harness.tamper?("DELETE FROM audit_tree_nodes")
            try await harness.grow(by: 10)
            let rebuilt = try #require(try await harness.sign.sign(origin: Self.origin))
            #expect(rebuilt.start == .rebuilt)
            _ = try await expectCheckpointCoversEverything(harness, rebuilt.note)
            try await harness.grow(by: 10)
            #expect(try await harness.sign.sign(origin: Self.origin)?.start == .resumed, "the rebuilt nodes were stored")
        }
    }

    @Test func anAlteredRightEdgeNodeIsRefused() async throws {
        try await with(.postgres) { harness in
            try await harness.grow(by: 600)
            try await harness.sign(origin: Self.origin)
            try await harness.tamper?("UPDATE audit_tree_nodes SET hash = sha256(hash) WHERE level = 8 AND idx = 1")
            try await harness.grow(by: 1)
            await #expect(throws: SignCheckpoint.Refusal.self) { try await harness.sign(origin: Self.origin) }
            #expect(try await harness.store.latestCheckpoint(origin: Self.origin).map { try Checkpoint(parsing: SignedNote(parsing: $0).text).size } == 600)
        }
    }

    @Test func aStoredLeafHashThatDoesNotMatchItsEntryIsRefused() async throws {
        try await with(.postgres) { harness in
            try await harness.grow(by: 10)
            try await harness.sign(origin: Self.origin)
            try await harness.grow(by: 5)
            try await harness.tamper?("UPDATE audit_entries SET leaf_hash = sha256(leaf_hash) WHERE idx = 12")
            do {
                try await harness.sign(origin: Self.origin)
                Issue.record("signed over a stored leaf hash that does not match its entry")
            } catch let refusal as SignCheckpoint.Refusal {
                #expect(refusal.description.contains("entry 12"))
            }
        }
    }

    @Test func anAlteredLastSignedEntryIsRefused() async throws {
        try await with(.postgres) { harness in
            try await harness.grow(by: 10)
            try await harness.sign(origin: Self.origin)
            try await harness.tamper?("""
                UPDATE audit_entries SET leaf = set_byte(leaf, length(leaf) - 2, get_byte(leaf, length(leaf) - 2) # 1) WHERE idx = 9
                """)
            try await harness.grow(by: 1)
            do {
                try await harness.sign(origin: Self.origin)
                Issue.record("signed after the last signed entry was altered")
            } catch let refusal as SignCheckpoint.Refusal {
                #expect(refusal.description.contains("entry 9"))
            }
        }
    }

    @Test(arguments: ["UPDATE audit_tree_nodes SET hash = sha256(hash)", "DELETE FROM audit_tree_nodes", "TRUNCATE audit_tree_nodes"])
    func theDatabaseRefusesChangesToStoredNodes(statement: String) async throws {
        try await TestDatabase.withDatabase { client, _ in
            let logger = Logger(label: "test")
            let store = PostgresAuditLogStore(client: client, logger: logger)
            let keeper = PostgresRecordKeeper(
                client: client, origins: Self.origins, clock: SystemClock(), usage: PoolUsage(connectionsMax: 2), logger: logger
            )
            let harness = Harness(keeper: keeper, store: store, tamper: nil, keyring: try SodiumAuditKeyring(rootKey: [UInt8](repeating: 9, count: 32)))
            try await harness.grow(by: 512)
            try await harness.sign(origin: Self.origin)
            #expect(try await TestDatabase.count("audit_tree_nodes", client) == 2)
            let error = await #expect(throws: PSQLError.self) {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            #expect(error?.serverInfo?[.sqlState] == "42501")
            #expect(try await TestDatabase.count("audit_tree_nodes", client) == 2)
        }
    }

    // MARK: - Key rotation (§5.3)

    /// Rotates tenant A's key at `clock`'s time with `overlapHours`, then signs.
    func rotate(_ harness: Harness, clock: ManualClock, overlapHours: UInt64) async throws -> RotateLogKey.Announcement {
        let rotated = try await RotateLogKey(
            keeper: harness.keeper, store: harness.store, keys: harness.keyring, origins: Self.origins, clock: clock
        )(scope: .tenant(Fixtures.tenantA), overlapMs: overlapHours * 3_600_000, context: AuditContext(actor: "operator:test"))
        #expect(Set(rotated.receipts.map(\.origin)) == [Self.origin, Self.origins.origin(of: .system)])
        return rotated.announcement
    }

    func signatures(_ note: SignedNote, _ harness: Harness, origin: String = CheckpointSigningTests.origin) throws -> [UInt32] {
        let verifier = try SodiumSignatureVerifier()
        return (1...3).filter { version in
            (try? note.verify(trusting: [try harness.keyring.verifierKey(origin: origin, version: version)], with: verifier)) != nil
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRotationIsCoveredByBothKeysThenTheNewKeySignsAlone(kind: StoreKind) async throws {
        try await with(kind) { harness in
            let clock = ManualClock(UTCTimestamp(microsecondsSinceEpoch: 1_795_000_000_000_000))
            let sign = SignCheckpoint(store: harness.store, signer: harness.keyring, verifier: try SodiumSignatureVerifier(), clock: clock)
            try await harness.grow(by: 5)
            #expect(try signatures(try #require(try await sign(origin: Self.origin)), harness) == [1])

            let announcement = try await rotate(harness, clock: clock, overlapHours: 1)
            #expect(announcement.version == 2)
            #expect(announcement.verifierKey == (try harness.keyring.verifierKey(origin: Self.origin, version: 2).description))
            let covering = try #require(try await sign(origin: Self.origin))
            #expect(try signatures(covering, harness) == [1, 2], "the old key vouches for the announcement")
            #expect(try await harness.store.keyRotations(origin: Self.origin) == [
                .init(version: 2, entryIndex: 5, overlapUntilMs: clock.now().unixMillisecondsClamped + 3_600_000),
            ])

            try await harness.grow(by: 1)
            #expect(try signatures(try #require(try await sign(origin: Self.origin)), harness) == [1, 2], "within the overlap")
            clock.set(UTCTimestamp(microsecondsSinceEpoch: clock.now().microsecondsSinceEpoch + 3_600_000_000))
            try await harness.grow(by: 1)
            let after = try #require(try await sign(origin: Self.origin))
            #expect(try signatures(after, harness) == [2], "after the overlap only the new key signs")

            let keys = try await ReadAuditLog(store: harness.store, keys: harness.keyring).verifierKeys(origin: Self.origin)
            #expect(keys.map(\.version) == [1, 2])
            #expect(keys[0].signsUntilMs == announcement.overlapUntilMs && keys[1].signsUntilMs == nil)
            #expect(keys[1].announcedAtIndex == 5)

            // The system log recorded the rotation, and is still signed by its own first key.
            let system = Self.origins.origin(of: .system)
            let systemNote = try #require(try await sign(origin: system))
            #expect(try signatures(systemNote, harness, origin: system) == [1])
            #expect(try await harness.store.keyRotations(origin: system).isEmpty)

            // A second rotation goes on to version 3.
            #expect(try await rotate(harness, clock: clock, overlapHours: 0).version == 3)
            #expect(try signatures(try #require(try await sign(origin: Self.origin)), harness) == [2, 3])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anAnnouncedKeyThatIsNotTheLogsOwnIsRefused(kind: StoreKind) async throws {
        try await with(kind) { harness in
            try await harness.grow(by: 3)
            try await harness.sign(origin: Self.origin)
            let foreign = try SodiumAuditKeyring(rootKey: [UInt8](repeating: 77, count: 32))
            let forged = AuditEvent(
                scope: .tenant(Fixtures.tenantA), eventType: RotateLogKey.eventType, context: AuditContext(actor: "intruder"),
                outcome: .success, resourceType: "audit_log", resourceID: Self.origin,
                details: [
                    "new_key_version": 2, "overlap_until_ms": 0,
                    "new_verifier_key": .string(try foreign.verifierKey(origin: Self.origin, version: 2).description),
                ]
            )
            _ = try await harness.keeper.commit(AuditedChange(events: [forged]))
            do {
                try await harness.sign(origin: Self.origin)
                Issue.record("signed over a rotation to a key that is not the log's")
            } catch let refusal as SignCheckpoint.Refusal {
                #expect(refusal == .keyScheduleInvalid(
                    origin: Self.origin, detail: "entry 3: announces a key for version 2 that is not this log's"
                ))
            }
            #expect(try await harness.store.keyRotations(origin: Self.origin).isEmpty)
        }
    }

    // MARK: - Rows the application role could insert (it has INSERT on the audit tables)

    @Test func aCheckpointRowClaimingALargerTreeIsRefusedNotObeyed() async throws {
        try await with(.postgres) { harness in
            try await harness.grow(by: 5)
            let genuine = try #require(try await harness.sign(origin: Self.origin))
            try await harness.grow(by: 2)
            // The note of a larger tree, with the genuine signature: the signature no longer verifies.
            let text = try Checkpoint(origin: Self.origin, size: 1 << 40, rootHash: Checkpoint(parsing: genuine.text).rootHash).text
            let forged = try SignedNote(text: text, signatures: genuine.signatures).encoded
            try await harness.tamper?("INSERT INTO audit_checkpoints (origin, size, note) VALUES ('\(Self.origin)', \(1 << 40), '\(forged)')")
            #expect(try await harness.store.originsAwaitingCheckpoint(limit: 10).contains(Self.origin), "the log is not silenced")
            do {
                try await harness.sign(origin: Self.origin)
                Issue.record("signed after a forged checkpoint row")
            } catch let refusal as SignCheckpoint.Refusal {
                #expect(refusal.description.contains("does not verify"))
            }
        }
    }

    @Test func aCheckpointRowWhoseSizeIsNotItsNotesIsRefusedByTheDatabase() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let logger = Logger(label: "test")
            let keeper = PostgresRecordKeeper(
                client: client, origins: Self.origins, clock: SystemClock(), usage: PoolUsage(connectionsMax: 2), logger: logger
            )
            let store = PostgresAuditLogStore(client: client, logger: logger)
            let harness = Harness(keeper: keeper, store: store, tamper: nil, keyring: try SodiumAuditKeyring(rootKey: [UInt8](repeating: 9, count: 32)))
            try await harness.grow(by: 3)
            let note = try #require(try await harness.sign(origin: Self.origin)).encoded
            let error = await #expect(throws: PSQLError.self) {
                try await client.query("INSERT INTO audit_checkpoints (origin, size, note) VALUES (\(Self.origin), \(Int64(1) << 40), \(note))", logger: logger)
            }
            #expect(error?.serverInfo?[.sqlState] == "23514")
        }
    }

    @Test func aStoredRotationThatNoEntryAnnouncedIsRefused() async throws {
        try await with(.postgres) { harness in
            try await harness.grow(by: 5)
            try await harness.sign(origin: Self.origin)
            try await harness.tamper?("INSERT INTO audit_key_rotations (origin, version, entry_idx, overlap_until_ms) VALUES ('\(Self.origin)', 2, 0, 0)")
            try await harness.grow(by: 1)
            do {
                try await harness.sign(origin: Self.origin)
                Issue.record("signed with a key version that no entry announced")
            } catch let refusal as SignCheckpoint.Refusal {
                #expect(refusal == .keyScheduleInvalid(origin: Self.origin, detail: "the stored rotation to version 2 does not match entry 0"))
            }
        }
    }
}
