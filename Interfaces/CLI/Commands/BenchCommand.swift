import ArgumentParser
import Domain
import FileAdapters
import CryptoAdapters
import Foundation
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import Synchronization
import SystemAdapters

/// `custos bench …`: throughput measurements for docs/performance.md. Each prints one line of
/// figures; `scripts/bench` runs them beside their baselines (pgbench, sha256sum) in one go.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure audit-log append and verification throughput (use a release build).",
        subcommands: [Append.self, Verify.self, Proofs.self, Reads.self, Fields.self, CEL.self, Screening.self, Bundle.self]
    )

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Audited commits per second into a fresh scratch database: transaction rows with their entries, or entries alone."
        )
        /// What one change is.
        enum Workload: String, ExpressibleByArgument, CaseIterable {
            /// A transaction row and its `transaction.recorded` entry, as `POST /v1/transactions` commits.
            case recorded
            /// A `transaction.read` entry alone, as every audited read appends (`GetTransaction`).
            case read
            /// A transaction row, its entry and an idempotency key, as a keyed `POST /v1/transactions` commits.
            case keyed
        }
        @OptionGroup var options: DatabaseOptions
        @Option(help: "Concurrent writers (1 to 1024).") var writers = 64
        @Option(help: "Seconds to run (1 to 600).") var seconds = 10
        @Flag(help: "One database transaction per change instead of group commit.") var noGroupCommit = false
        @Option(help: "Group commit: queues of logs (1 to 64).")
        var partitions = PostgresGroupCommitKeeper.partitionsDefault
        @Option(help: "Group commit: flushers per queue, each on its own connection (1 to 8).")
        var flushers = PostgresGroupCommitKeeper.flushersPerQueueDefault
        @Option(help: "Group commit: changes per batch (1 to 256).")
        var batch = PostgresGroupCommitKeeper.changesPerBatchDefault
        @Option(help: "Tenant logs the writers spread their changes over (1 to 1024).") var tenants = 1
        @Option(help: "What a change is: recorded (a transaction row and its entry), keyed (the same with an idempotency key) or read (an audited read's entry alone).")
        var workload = Workload.recorded

        func run() async throws {
            guard (1...1024).contains(writers), (1...600).contains(seconds), (1...64).contains(partitions), (1...1024).contains(tenants),
                  (1...8).contains(flushers), (1...PostgresGroupCommitKeeper.changesPerBatchMax).contains(batch)
            else {
                throw ValidationError("--writers must be 1 to 1024, --seconds 1 to 600, --partitions 1 to 64, --tenants 1 to 1024, --flushers 1 to 8 and --batch 1 to 256")
            }
            let configuration = try options.configuration()
            let connections = min(writers, 64)
            let count = try await BenchCommand.withScratchDatabase(configuration, connectionsMax: connections) { client, _ in
                try await measure(client: client, configuration: configuration, connections: connections)
            }
            let mode = (noGroupCommit ? "one transaction per change" : "group commit (\(partitions) partitions, \(flushers) flushers each, batches of \(batch))")
                + (tenants > 1 ? ", \(tenants) tenant logs" : "") + (workload == .read ? ", entries alone (audited reads)" : workload == .keyed ? ", rows with idempotency keys" : "")
            print(String(format: "append: %d writers, %@: %d audited commits in %d s = %.0f commits/s",
                         writers, mode, count, seconds,
                         Double(count) / Double(seconds)))
        }

        private func measure(client: PostgresClient, configuration: Configuration, connections: Int) async throws -> Int {
            try await withClient(client) {
                try await PostgresMigrator(client: client, logger: Self.poolLogger)
                    .migrate(try MigrationSet.load(directory: configuration.migrationsURL))
                let usage = PoolUsage(connectionsMax: connections)
                let clock = SystemClock()
                let keeper: any RecordKeeper = noGroupCommit
                    ? PostgresRecordKeeper(client: client, origins: configuration.auditOrigins, clock: clock, usage: usage, logger: Self.poolLogger)
                    : PostgresGroupCommitKeeper(
                        client: client, origins: configuration.auditOrigins, clock: clock, usage: usage, logger: Self.poolLogger,
                        partitions: partitions, flushersPerQueue: flushers, changesPerBatch: batch,
                        hasher: SwiftCryptoSHA256()  // as `custos serve` does
                    )
                // Rows are sealed as the server seals them (development root key: a scratch database).
                let fields = try FieldKeys.protection(
                    rootKey: RootKey.development,
                    keys: CachedDataKeyStore(PostgresDataKeyStore(client: client, usage: usage, logger: Self.poolLogger)),  // as serve
                    keeper: keeper
                )
                let acknowledged = try await Self.drive(
                    keeper: keeper, fields: fields, writers: writers, tenants: tenants, seconds: seconds, clock: clock, workload: workload
                )
                // Counted only if stored: every acknowledged change has its entry, and its row when it
                // records one; each data key made on the way has its entry too.
                let rowsExpected = workload == .read ? 0 : Int64(acknowledged)
                let rows = try await client.query(
                    "SELECT (SELECT count(*) FROM transactions), (SELECT count(*) FROM audit_entries), (SELECT count(*) FROM data_keys)",
                    logger: Self.poolLogger
                )
                for try await (transactions, entries, keys) in rows.decode((Int64, Int64, Int64).self)
                where transactions != rowsExpected || entries != Int64(acknowledged) + keys {
                    throw ValidationError("\(acknowledged) changes acknowledged, but \(transactions) rows and \(entries) entries stored")
                }
                return acknowledged
            }
        }

        /// Writer n appends to tenant n mod `tenants`'s log (one log, the worst case for its lock, by default).
        static func drive(
            keeper: any RecordKeeper, fields: FieldProtection, writers: Int, tenants: Int, seconds: Int, clock: SystemClock,
            workload: Workload
        ) async throws -> Int {
            let deadline = ContinuousClock.now + .seconds(seconds)
            let logs = (0..<tenants).map { _ in TenantID(UUID()) }
            let ids = UUIDv7Generator(clock: clock)  // as the server makes transaction ids
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<writers {
                    let tenant = logs[writer % tenants]
                    group.addTask {
                        var done = 0
                        let account = AccountIdentifier("ACC-001")!
                        while ContinuousClock.now < deadline {
                            // The subject's key is looked up for every change, as `RecordTransaction` does.
                            let key = workload != .read
                                ? try await fields.activeKey(of: DataSubject(tenant: tenant, id: account), context: .unauthenticated) : nil
                            let transaction = Transaction(
                                id: ids.newTransactionID(), tenantID: tenant, accountID: account,
                                counterpartyAccount: .value(AccountIdentifier("DE89370400440532013000")!),
                                money: Money(amountMinor: 12_345, currency: Currency(code: "EUR")!)!, direction: .debit,
                                kind: .transfer, occurredAt: clock.now(), reference: Reference("bench"), recordedAt: clock.now()
                            )
                            let event = AuditEvent(
                                scope: .tenant(tenant), eventType: workload == .read ? "transaction.read" : "transaction.recorded",
                                context: .unauthenticated, outcome: .success, resourceType: "transaction",
                                resourceID: transaction.id.description
                            )
                            // Sealed in the writer's task, as `RecordTransaction` does for each request.
                            var writes: [BusinessWrite] = try key.map { [.insertTransaction(try fields.seal(transaction, key: $0))] } ?? []
                            if workload == .keyed {
                                let request = IdempotentRequest(
                                    tenant: tenant, client: ClientID(tenant.rawValue), key: IdempotencyKey(header: transaction.id.description)!,
                                    method: "POST", route: "/v1/transactions", body: []
                                )
                                writes.insert(.rememberOutcome(IdempotentOutcome(
                                    request: request, resource: .transaction(transaction.id), createdAt: transaction.recordedAt
                                )), at: 0)
                            }
                            _ = try await keeper.commit(AuditedChange(writes: writes, events: [event]))
                            done += 1
                        }
                        return done
                    }
                }
                return try await group.reduce(0, +)
            }
        }

        static func admin(_ server: PostgresURL, _ sql: String) async throws {
            let client = PostgresClient(configuration: server.clientConfiguration(connectionsMax: 1), backgroundLogger: Self.poolLogger)
            try await withClient(client) { _ = try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.poolLogger) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a signed export of N entries to a folder, then time its full verification."
        )
        @Option(help: "Entries in the log (1 to 10,000,000).") var entries = 1_000_000
        @Flag(help: "Verify the export an earlier run left in the folder instead of writing a new one.") var existing = false
        @Flag(help: "Hash with the core's pure-Swift SHA-256 instead of swift-crypto's.") var portableSHA256 = false
        @Argument(help: "A new folder for the export (kept, so that sha256sum can read the same bytes).") var directory: String

        func run() throws {
            guard (1...10_000_000).contains(entries) else { throw ValidationError("--entries must be 1 to 10,000,000") }
            let origin = "custos.localhost/audit/bench"
            let signer = try SodiumNoteSigner(name: origin, seed: [UInt8](repeating: 1, count: 32))
            if !existing { try writeExport(origin: origin, signer: signer) }
            let hasher: any SHA256Hashing = portableSHA256 ? PortableSHA256() : SwiftCryptoSHA256()
            let verifier = AuditLogVerifier(
                trustedKeys: [signer.verifierKey], signatureVerifier: try SodiumSignatureVerifier(), hasher: hasher
            )
            let start = ContinuousClock.now
            let report = verifier.verify(DirectoryAuditLogSource(directory: URL(fileURLWithPath: directory)))
            let elapsed = ContinuousClock.now - start
            let seconds = elapsed.inSeconds
            guard report.verified else { throw VerificationFailed(reason: report.failure?.description ?? "?") }
            let mebibytes = Double(report.entryBytesVerified) / 1_048_576
            print(String(format: "verify: %d entries, %.1f MiB of entries in %.2f s = %.0f entries/s, %.1f MiB/s",
                         report.entriesVerified, mebibytes, seconds, Double(report.entriesVerified) / seconds, mebibytes / seconds))
        }

        /// A signed log of `entries` entries, exported into `directory`.
        private func writeExport(origin: String, signer: SodiumNoteSigner) throws {
            var head = AuditLogHead(origin: origin)
            var leaves: [[UInt8]] = []
            leaves.reserveCapacity(entries)
            var levels = MerkleLevels()
            for n in 0..<entries {
                let leaf = try head.append(
                    eventType: "transaction.recorded", actor: "client:bench",
                    payload: ["outcome": "success", "resource": ["type": "transaction", "id": .string("t-\(n)")],
                              "details": ["amount_minor": 12_345, "currency": "EUR"]],
                    nowMs: 1_795_512_600_000 + UInt64(n)
                )
                leaves.append(leaf.encoded)
                levels.append(leafHash: leaf.leafHash)
            }
            let root = try MerkleTree.root(treeSize: UInt64(entries), from: levels)
            let note = try signer.signedNote(text: try Checkpoint(origin: origin, size: UInt64(entries), rootHash: root).text)
            try DirectoryExportWriter(directory: URL(fileURLWithPath: directory))
                .write(try TiledLogExport.files(entries: leaves, checkpointNote: note.encoded))
        }
    }

    /// Runs `body` with a client on a scratch database created for it (as the owner) and dropped
    /// afterwards, whatever happens; `body` runs the client's pool.
    static func withScratchDatabase<Result: Sendable>(
        _ configuration: Configuration, connectionsMax: Int, _ body: (PostgresClient, PostgresURL) async throws -> Result
    ) async throws -> Result {
        let server = try DatabaseLocator.migrationURL(for: configuration)
        let scratch = "custos_bench_\(UInt32.random(in: 0...UInt32.max))"
        try await Append.admin(server, "CREATE DATABASE \(scratch)")
        let url = server.with(database: scratch)
        let client = PostgresClient(configuration: url.clientConfiguration(connectionsMax: connectionsMax), backgroundLogger: poolLogger)
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body(client, url))
        } catch {
            outcome = .failure(error)
        }
        try? await Append.admin(server, "DROP DATABASE IF EXISTS \(scratch) WITH (FORCE)")
        return try outcome.get()
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for printing rates).
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
