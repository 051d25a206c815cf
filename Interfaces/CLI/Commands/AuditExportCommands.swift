import ArgumentParser
import Domain
import FileAdapters
import Foundation
import PostgresAdapters
import PostgresNIO
import SodiumAdapters

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
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a log's verifier key, for auditors to pin.")
        @OptionGroup var log: LogSelection
        @OptionGroup var options: DatabaseOptions

        func run() throws {
            let configuration = try options.configuration()
            let origin = configuration.auditOrigins.origin(of: try log.scope())
            print(try AuditKeys.keyring(for: configuration).signer(origin: origin).verifierKey.description)
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
            let url = try DatabaseLocator.url(for: configuration)
            let client = PostgresClient(configuration: url.clientConfiguration(connectionsMax: 2), backgroundLogger: Self.poolLogger)
            let text = try await withClient(client) {
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
        let url = try DatabaseLocator.url(for: configuration)
        let client = PostgresClient(configuration: url.clientConfiguration(connectionsMax: 2), backgroundLogger: Self.poolLogger)
        return try await withClient(client) {
            let store = PostgresAuditLogStore(client: client, logger: Self.poolLogger)
            if let keyring {
                try await SignCheckpoint(store: store, signer: keyring, verifier: try SodiumSignatureVerifier())(origin: origin)
            }
            var (size, files) = try await ExportLog(store: store)(origin: origin)
            if let keyring {
                files.append(manifest(origin: origin, size: size, key: try keyring.signer(origin: origin).verifierKey, version: keyring.keyVersion))
            }
            return StoredLogExport(origin: origin, size: size, files: files)
        }
    }

    static func manifest(origin: String, size: UInt64, key: NoteVerifierKey, version: UInt32) -> TiledLogExport.File {
        let manifest: CanonicalJSON = .object(.init([
            "format": "custos-audit-export/1",
            "origin": .string(origin),
            "size": CanonicalJSON(exactly: size) ?? .null,
            "verifier_keys": .array([.object(.init([
                "key": .string(key.description), "version": CanonicalJSON(exactly: version) ?? .null, "valid_until": .null,
            ]))]),
            "exported_at": .string(UTCTimestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000)).rfc3339),
            "tool_version": .string(CustosCommand.version),
        ]))
        return TiledLogExport.File(path: "manifest.json", bytes: manifest.canonicalBytes + [0x0a])
    }
}
