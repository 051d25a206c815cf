import ArgumentParser
import Domain
import Foundation
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters

extension BenchCommand {
    /// `custos bench reads`: what tenant isolation in PostgreSQL costs a read. Reads of one
    /// transaction by id as the API makes them (`PostgresTransactionRepository`, as the
    /// application role: a transaction scoped to the tenant, row-level security applied), beside
    /// the baseline of the same row read by one autocommit primary-key SELECT as the owner (no
    /// scope, no policy), alternating in rounds in the same run.
    struct Reads: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Transaction reads per second through the tenant scope and row-level security, beside one bare SELECT."
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "Concurrent readers (1 to 256).") var readers = 16
        @Option(help: "Seconds per round and kind (1 to 60).") var seconds = 3
        @Option(help: "Rounds of each kind, interleaved (1 to 21).") var rounds = 3
        @Option(help: "Rows in the table (100 to 1,000,000).") var rows = 10_000

        func run() async throws {
            guard (1...256).contains(readers), (1...60).contains(seconds), (1...21).contains(rounds), (100...1_000_000).contains(rows) else {
                throw ValidationError("--readers must be 1 to 256, --seconds 1 to 60, --rounds 1 to 21 and --rows 100 to 1,000,000")
            }
            let configuration = try options.configuration()
            try await BenchCommand.withScratchDatabase(configuration, connectionsMax: readers) { owner, url in
                try await measure(owner: owner, url: url, configuration: configuration)
            }
        }

        private func measure(owner: PostgresClient, url: PostgresURL, configuration: Configuration) async throws {
            let logger = Self.poolLogger
            // The application role, as `custos serve` connects: a login of the owner's cluster set to
            // custos_app for the session (a superuser owner may; otherwise connect as the role itself).
            var appConfiguration = url.clientConfiguration(connectionsMax: readers)
            appConfiguration.options.additionalStartupParameters = [("options", "-c role=custos_app")]
            let application = PostgresClient(configuration: appConfiguration, backgroundLogger: logger)
            try await withClient(owner) {
                try await withClient(application) {
                    try await PostgresMigrator(client: owner, logger: logger).migrate(try MigrationSet.load(directory: configuration.migrationsURL))
                    let (tenant, ids) = try await seed(owner, configuration: configuration)
                    let repository = PostgresTransactionRepository(client: application, usage: PoolUsage(connectionsMax: readers), logger: logger)
                    // Warm both pools, and check the scoped read sees the row and the role sees nothing unscoped.
                    guard try await repository.transaction(id: ids[0], tenant: tenant) != nil else {
                        throw ValidationError("the scoped read did not find its row")
                    }
                    for try await count in try await application.query("SELECT count(*) FROM transactions", logger: logger).decode(Int64.self)
                    where count != 0 {
                        throw ValidationError("the application role saw \(count) rows without a scope: row-level security is not in force")
                    }
                    var scoped: [Double] = [], bare: [Double] = []
                    for _ in 0..<rounds {
                        bare.append(try await Self.rate(readers: readers, seconds: seconds, ids: ids) { id in
                            let result = try await owner.query(
                                "SELECT * FROM transactions WHERE tenant_id = \(tenant.rawValue) AND id = \(id.rawValue)", logger: logger
                            )
                            var found = 0
                            for try await _ in result { found += 1 }
                            guard found == 1 else { throw ValidationError("the bare read did not find its row") }
                        })
                        scoped.append(try await Self.rate(readers: readers, seconds: seconds, ids: ids) { id in
                            guard try await repository.transaction(id: id, tenant: tenant) != nil else {
                                throw ValidationError("the scoped read did not find its row")
                            }
                        })
                    }
                    let scopedMedian = scoped.sorted()[rounds / 2], bareMedian = bare.sorted()[rounds / 2]
                    print(String(format: "reads: %d readers, %d rows, %d rounds of %d s: scoped (application role, row-level security) median %.0f reads/s [%.0f–%.0f], bare SELECT (owner) median %.0f reads/s [%.0f–%.0f]: ratio %.2f",
                                 readers, rows, rounds, seconds, scopedMedian, scoped.min()!, scoped.max()!, bareMedian, bare.min()!, bare.max()!,
                                 scopedMedian / bareMedian))
                }
            }
        }

        /// `rows` sealed transactions of one tenant, written as the server writes them.
        private func seed(_ client: PostgresClient, configuration: Configuration) async throws -> (TenantID, [TransactionID]) {
            let usage = PoolUsage(connectionsMax: readers)
            let clock = SystemClock()
            let keeper = PostgresGroupCommitKeeper(client: client, origins: configuration.auditOrigins, clock: clock, usage: usage, logger: Self.poolLogger)
            let fields = try FieldKeys.protection(
                rootKey: RootKey.development, keys: PostgresDataKeyStore(client: client, usage: usage, logger: Self.poolLogger), keeper: keeper
            )
            let tenant = TenantID(UUID())
            let account = AccountIdentifier("ACC-001")!
            let key = try await fields.activeKey(of: DataSubject(tenant: tenant, id: account), context: .unauthenticated)
            let generator = UUIDv7Generator(clock: clock)
            let ids = (0..<rows).map { _ in generator.newTransactionID() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<min(readers, 32) {
                    group.addTask {
                        for index in stride(from: lane, to: ids.count, by: min(readers, 32)) {
                            let transaction = Transaction(
                                id: ids[index], tenantID: tenant, accountID: account,
                                counterpartyAccount: .value(AccountIdentifier("DE89370400440532013000")!),
                                money: Money(amountMinor: 12_345, currency: Currency(code: "EUR")!)!, direction: .debit, kind: .transfer,
                                occurredAt: clock.now(), reference: Reference("bench"), recordedAt: clock.now()
                            )
                            let event = AuditEvent(scope: .tenant(tenant), eventType: "transaction.recorded", context: .unauthenticated,
                                                   outcome: .success, resourceType: "transaction", resourceID: transaction.id.description)
                            _ = try await keeper.commit(AuditedChange(writes: [.insertTransaction(try fields.seal(transaction, key: key))], events: [event]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            return (tenant, ids)
        }

        /// Reads per second by `readers` tasks for `seconds`, each reading random ids.
        static func rate(
            readers: Int, seconds: Int, ids: [TransactionID], _ read: @escaping @Sendable (TransactionID) async throws -> Void
        ) async throws -> Double {
            let start = ContinuousClock.now
            let deadline = start + .seconds(seconds)
            let done = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<readers {
                    group.addTask {
                        var count = 0
                        var random = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
                        while ContinuousClock.now < deadline {
                            try await read(ids[Int(random.next() % UInt64(ids.count))])
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            return Double(done) / (ContinuousClock.now - start).inSeconds
        }
    }
}
