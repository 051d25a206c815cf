import ArgumentParser
import Domain
import Foundation
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters

extension BenchCommand {
    /// `custos bench proofs`: proof latency at a large log, served as `GET /v1/audit/proofs/…`
    /// serves them (ReadAuditLog over PostgreSQL), beside the latency of reading one entry by
    /// its primary key through the same pool, measured in the same run.
    struct Proofs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inclusion and consistency proof latency at N entries, in a fresh scratch database."
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "Entries in the log (1,000 to 10,000,000).") var entries = 1_000_000
        @Option(help: "Proofs of each kind to time (10 to 100,000).") var samples = 2_000

        static let eventsPerChange = 4_096

        func run() async throws {
            guard (1_000...10_000_000).contains(entries), (10...100_000).contains(samples) else {
                throw ValidationError("--entries must be 1,000 to 10,000,000 and --samples 10 to 100,000")
            }
            let configuration = try options.configuration()
            try await BenchCommand.withScratchDatabase(configuration, connectionsMax: 4) { client, _ in
                try await measure(client: client, configuration: configuration)
            }
        }

        private func measure(client: PostgresClient, configuration: Configuration) async throws {
            try await withClient(client) {
                let logger = Self.poolLogger
                try await PostgresMigrator(client: client, logger: logger)
                    .migrate(try MigrationSet.load(directory: configuration.migrationsURL))
                let origins = configuration.auditOrigins
                let tenant = TenantID(UUID())
                let origin = origins.origin(of: .tenant(tenant))
                let keeper = PostgresGroupCommitKeeper(
                    client: client, origins: origins, clock: SystemClock(), usage: PoolUsage(connectionsMax: 4), logger: logger
                )
                // Fill through the real write path, thousands of entries per change.
                var filled = 0
                let fillStart = ContinuousClock.now
                while filled < entries {
                    let count = min(Self.eventsPerChange, entries - filled)
                    let events = (filled..<filled + count).map { n in
                        AuditEvent(
                            scope: .tenant(tenant), eventType: "transaction.recorded", context: .unauthenticated,
                            outcome: .success, resourceType: "transaction", resourceID: "t-\(n)"
                        )
                    }
                    _ = try await keeper.commit(AuditedChange(events: events))
                    filled += count
                }
                let fillSeconds = (ContinuousClock.now - fillStart).inSeconds
                let store = PostgresAuditLogStore(client: client, logger: logger)
                let keyring = try SodiumAuditKeyring(rootKey: (0..<32).map { _ in UInt8.random(in: 0...255) })
                let signStart = ContinuousClock.now
                guard let note = try await SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: SystemClock())(origin: origin)
                else { throw ValidationError("nothing to sign") }
                let signSeconds = (ContinuousClock.now - signStart).inSeconds
                let checkpoint = try Checkpoint(parsing: note.text)
                let size = checkpoint.size

                // One more entry, so that the next signing extends the tree from its right edge.
                _ = try await keeper.commit(AuditedChange(events: [AuditEvent(
                    scope: .tenant(tenant), eventType: "transaction.recorded", context: .unauthenticated,
                    outcome: .success, resourceType: "transaction", resourceID: "t-last"
                )]))
                let extendStart = ContinuousClock.now
                guard try await SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: SystemClock())
                    .sign(origin: origin)?.start == .resumed
                else { throw ValidationError("the second checkpoint did not extend the stored tree") }
                let extendMs = (ContinuousClock.now - extendStart).inSeconds * 1_000

                let read = ReadAuditLog(store: store, keys: keyring)
                var random = SystemRandomNumberGenerator()
                var baseline: [Double] = []
                var inclusion: [Double] = []
                var consistency: [Double] = []
                for sample in 0..<samples {
                    let index = UInt64.random(in: 0..<size, using: &random)
                    var start = ContinuousClock.now
                    let rows = try await client.query(
                        "SELECT leaf FROM audit_entries WHERE origin = \(origin) AND idx = \(Int64(index))", logger: logger
                    )
                    var leaf: [UInt8] = []
                    for try await bytes in rows.decode(Data.self) { leaf = Array(bytes) }
                    baseline.append((ContinuousClock.now - start).inSeconds * 1_000)

                    start = ContinuousClock.now
                    let path = try await read.inclusionProof(origin: origin, index: index, size: size)
                    inclusion.append((ContinuousClock.now - start).inSeconds * 1_000)

                    let from = UInt64.random(in: 1...size, using: &random)
                    start = ContinuousClock.now
                    let proof = try await read.consistencyProof(origin: origin, from: from, to: size)
                    consistency.append((ContinuousClock.now - start).inSeconds * 1_000)

                    if sample < 20 {  // Served proofs are checked, not just timed.
                        try MerkleTree.verifyInclusion(
                            leafHash: MerkleTree.leafHash(leaf), index: index, treeSize: size, proof: path.hashes, root: checkpoint.rootHash
                        )
                        let older = try await read.inclusionProof(origin: origin, index: from - 1, size: from)
                        let olderLeaf = try await store.entries(origin: origin, from: from - 1, count: 1)
                        let olderRoot = try MerkleTree.rootFromInclusionProof(
                            leafHash: MerkleTree.leafHash(olderLeaf[0]), index: from - 1, treeSize: from, proof: older.hashes
                        )
                        try MerkleTree.verifyConsistency(
                            size1: from, size2: size, root1: olderRoot, root2: checkpoint.rootHash, proof: proof.hashes
                        )
                    }
                }
                func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
                func p99(_ values: [Double]) -> Double { values.sorted()[min(values.count - 1, values.count * 99 / 100)] }
                print(String(format: "proofs: %d entries (filled in %.1f s, first checkpoint in %.1f s, next checkpoint %.1f ms), %d samples",
                             entries, fillSeconds, signSeconds, extendMs, samples))
                print(String(format: "proofs: primary-key read of one entry: median %.3f ms, p99 %.3f ms", median(baseline), p99(baseline)))
                print(String(format: "proofs: inclusion: median %.3f ms, p99 %.3f ms (%.2f x the read)",
                             median(inclusion), p99(inclusion), median(inclusion) / median(baseline)))
                print(String(format: "proofs: consistency: median %.3f ms, p99 %.3f ms (%.2f x the read)",
                             median(consistency), p99(consistency), median(consistency) / median(baseline)))
            }
        }
    }
}
