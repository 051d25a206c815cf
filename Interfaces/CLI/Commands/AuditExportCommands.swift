import ArgumentParser
import Domain
import FileAdapters
import Foundation
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters

/// Which log a command is about: a tenant's (`--tenant ID`) or the system log (`--system`).
struct LogSelection: ParsableArguments {
    @Option(name: .long, help: "The tenant whose log to use (a UUID).")
    var tenant: String?

    @Flag(name: .long, help: "Use the system log.")
    var system = false

    func scope() throws -> AuditScope {
        switch (tenant, system) {
        case (let raw?, false):
            guard let id = TenantID(string: raw) else { throw ValidationError("--tenant must be a UUID") }
            return .tenant(id)
        case (nil, true): return .system
        default: throw ValidationError("give exactly one of --tenant and --system")
        }
    }
}

extension AuditCommand {
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a log's current verifier key (or every key it has had), for auditors to pin."
        )
        @OptionGroup var log: LogSelection
        @OptionGroup var options: DatabaseOptions
        @Flag(name: .long, help: "Print every key version, oldest first: version, key, and when it stopped signing.")
        var all = false
        @Option(name: .long, help: "Print the key of this version, without reading the database.")
        var version: UInt32?

        func run() async throws {
            let configuration = try options.configuration()
            let origin = configuration.auditOrigins.origin(of: try log.scope())
            let keyring = try AuditKeys.keyring(for: configuration)
            if let version {
                guard version >= 1 else { throw ValidationError("--version counts from 1") }
                print(try keyring.verifierKey(origin: origin, version: version).description)
                return
            }
            let keys = try await withApplicationClient(configuration, connectionsMax: 1) { client in
                try await ReadAuditLog(store: PostgresAuditLogStore(client: client, logger: Self.poolLogger), keys: keyring)
                    .verifierKeys(origin: origin)
            }
            guard all else { return print(keys[keys.count - 1].key.description) }
            for key in keys {
                let until = key.signsUntilMs.map { " signs-until-ms=\($0)" } ?? " current"
                print("\(key.version) \(key.key.description)\(until)")
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Rotate a log's signing key: announce the next key in the log (and the system log) and sign a checkpoint with both keys."
        )
        @OptionGroup var log: LogSelection
        @OptionGroup var options: DatabaseOptions
        @Option(name: .long, help: "Hours during which the old key keeps signing beside the new one (0 to 2160).")
        var overlapHours: UInt64 = 24

        func run() async throws {
            guard overlapHours <= RotateLogKey.overlapMsMax / 3_600_000 else {
                throw ValidationError("--overlap-hours must be 0 to \(RotateLogKey.overlapMsMax / 3_600_000)")
            }
            let configuration = try options.configuration()
            let scope = try log.scope()
            let origins = configuration.auditOrigins
            let keyring = try AuditKeys.keyring(for: configuration)
            let announcement = try await withApplicationClient(configuration, connectionsMax: 2) { client in
                let store = PostgresAuditLogStore(client: client, logger: Self.poolLogger)
                let clock = SystemClock()
                let keeper = PostgresRecordKeeper(
                    client: client, origins: origins, clock: clock, usage: PoolUsage(connectionsMax: 2), logger: Self.poolLogger
                )
                let rotated = try await RotateLogKey(keeper: keeper, store: store, keys: keyring, origins: origins, clock: clock)(
                    scope: scope, overlapMs: overlapHours * 3_600_000, context: AuditContext(actor: "operator:cli")
                )
                // Sign now, so that the announcement is covered by a checkpoint the old key signs.
                let sign = SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: clock)
                for origin in Set(rotated.receipts.map(\.origin)).sorted() { try await sign(origin: origin) }
                return rotated.announcement
            }
            print("\(announcement.origin): key version \(announcement.version): \(announcement.verifierKey)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a log as a tlog-tiles export (checkpoint, tiles, entry bundles, manifest.json) into a new folder."
        )
        @OptionGroup var log: LogSelection
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The folder to create (it must not hold files).")
        var directory: String

        func run() async throws {
            let configuration = try options.configuration()
            let export = try await StoredLogExport.make(scope: try log.scope(), configuration: configuration, signFirst: true)
            try DirectoryExportWriter(directory: URL(fileURLWithPath: directory)).write(export.files)
            print("exported \(export.size) entries of \(export.origin) to \(directory)")
        }
    }
}

extension AuditCommand {
    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a C2SP tlog-proof for one entry under the latest signed checkpoint (or an earlier size)."
        )
        @OptionGroup var log: LogSelection
        @OptionGroup var options: DatabaseOptions
        @Option(name: .long, help: "The entry's index.")
        var index: UInt64
        @Option(name: .long, help: "The tree size (default: the latest checkpoint's; only that size comes with its checkpoint).")
        var size: UInt64?
        @Option(name: .long, help: "Where to write the proof (default: standard output).")
        var output: String?

        func run() async throws {
            let configuration = try options.configuration()
            let origin = configuration.auditOrigins.origin(of: try log.scope())
            let keyring = try AuditKeys.keyring(for: configuration)
            let text = try await withApplicationClient(configuration, connectionsMax: 2) { client in
                let read = ReadAuditLog(store: PostgresAuditLogStore(client: client, logger: Self.poolLogger), keys: keyring)
                let note = try SignedNote(parsing: try await read.checkpoint(origin: origin))
                let checkpointSize = try Checkpoint(parsing: note.text).size
                guard size == nil || size == checkpointSize else {
                    throw ValidationError("--size: a proof file carries a checkpoint, and the latest signed one has size \(checkpointSize)")
                }
                let proof = try await read.inclusionProof(origin: origin, index: index, size: checkpointSize)
                return TlogProof(index: index, inclusionProof: proof.hashes, checkpoint: note).encoded
            }
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } else {
                print(text, terminator: "")
            }
        }
    }
}

/// A log read from the database into export files, after signing a checkpoint that covers
/// every stored entry (a no-op when the latest one already does).
struct StoredLogExport {
    let origin: String
    let size: UInt64
    let files: [TiledLogExport.File]

    /// With `signFirst`, a checkpoint covering every stored entry is signed before reading (as
    /// `custos audit export` does); without it the latest existing checkpoint is used (`verify`).
    static func make(scope: AuditScope, configuration: Configuration, signFirst: Bool) async throws -> StoredLogExport {
        let origin = configuration.auditOrigins.origin(of: scope)
        // Only an export signs, and only it writes a manifest; verifying needs no key at all.
        let keyring = signFirst ? try AuditKeys.keyring(for: configuration) : nil
        return try await withApplicationClient(configuration, connectionsMax: 2) { client in
            let store = PostgresAuditLogStore(client: client, logger: Self.poolLogger)
            if let keyring {
                try await SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier(), clock: SystemClock())(
                    origin: origin
                )
            }
            var (size, files) = try await ExportLog(store: store)(origin: origin)
            if let keyring {
                let keys = try await ReadAuditLog(store: store, keys: keyring).verifierKeys(origin: origin)
                files.append(manifest(origin: origin, size: size, keys: keys))
            }
            return StoredLogExport(origin: origin, size: size, files: files)
        }
    }

    /// Every key version with its validity: from the entry that announced it (version 1: from the
    /// start) until the overlap of the rotation that replaced it ended (null: still current).
    static func manifest(origin: String, size: UInt64, keys: [ReadAuditLog.VersionedKey]) -> TiledLogExport.File {
        func time(_ ms: UInt64?) -> CanonicalJSON {
            ms.map { .string(UTCTimestamp(microsecondsSinceEpoch: Int64(clamping: $0) * 1_000).rfc3339) } ?? .null
        }
        let manifest: CanonicalJSON = .object(.init([
            "format": "custos-audit-export/1",
            "origin": .string(origin),
            "size": CanonicalJSON(exactly: size) ?? .null,
            "verifier_keys": .array(keys.map { key in .object(.init([
                "key": .string(key.key.description), "version": CanonicalJSON(exactly: key.version) ?? .null,
                "valid_from_index": CanonicalJSON(exactly: key.announcedAtIndex ?? 0) ?? .null,
                "valid_until": time(key.signsUntilMs),
            ])) }),
            "exported_at": .string(UTCTimestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000)).rfc3339),
            "tool_version": .string(CustosCommand.version),
        ]))
        return TiledLogExport.File(path: "manifest.json", bytes: manifest.canonicalBytes + [0x0a])
    }
}
