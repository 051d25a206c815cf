import ArgumentParser
import CryptoAdapters
import Domain
import Foundation
import PostgresAdapters
import PostgresNIO
import SodiumAdapters
import SystemAdapters

/// `custos keys …`: the field-encryption keys (docs/encryption.md §8). Every operation that changes
/// keys is appended to the system audit log in the same database transaction.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage field-encryption keys: init, rotate, reencrypt, shred, status.",
        subcommands: [Init.self, Rotate.self, Reencrypt.self, Shred.self, Status.self]
    )

    static let operatorContext = AuditContext(actor: "operator:cli")

    /// The stores of one keys or policy command, on the application's database role. `shred` and
    /// `status` need nothing more: no key material.
    struct Database {
        let keeper: PostgresRecordKeeper
        let administration: PostgresKeyAdministration
        let store: PostgresDataKeyStore
        let auditStore: PostgresAuditLogStore
        let repository: PostgresTransactionRepository
        let bundles: PostgresPolicyBundleStore
        let access: PostgresAccessDirectory
        let configuration: Configuration

        /// Signs the system log (and `tenant`'s) now, when the audit key is at hand, so that the
        /// operation is covered by a checkpoint without waiting for the server.
        func signLogs(tenant: TenantID?) async {
            guard let keyring = try? AuditKeys.keyring(for: configuration), let verifier = try? SodiumSignatureVerifier() else {
                FileHandle.standardError.write(Data("note: the audit key is not here; the server's checkpoint service signs the entry\n".utf8))
                return
            }
            let sign = SignCheckpoint(store: auditStore, signer: keyring, verifier: verifier, clock: SystemClock())
            var origins = [configuration.auditOrigins.origin(of: .system)]
            if let tenant { origins.append(configuration.auditOrigins.origin(of: .tenant(tenant))) }
            for origin in origins { _ = try? await sign(origin: origin) }
        }
    }

    static func withDatabase<Result: Sendable>(
        _ options: DatabaseOptions, _ body: (Database) async throws -> Result
    ) async throws -> Result {
        let configuration = try options.configuration()
        return try await withApplicationClient(configuration, connectionsMax: 4) { client in
            let usage = PoolUsage(connectionsMax: 4)
            let keeper = PostgresRecordKeeper(
                client: client, origins: configuration.auditOrigins, clock: SystemClock(), usage: usage, logger: Init.poolLogger
            )
            return try await body(Database(
                keeper: keeper,
                administration: PostgresKeyAdministration(client: client, usage: usage, logger: Init.poolLogger, keeper: keeper),
                store: PostgresDataKeyStore(client: client, usage: usage, logger: Init.poolLogger),
                auditStore: PostgresAuditLogStore(client: client, logger: Init.poolLogger),
                repository: PostgresTransactionRepository(client: client, usage: usage, logger: Init.poolLogger),
                bundles: PostgresPolicyBundleStore(client: client, usage: usage, logger: Init.poolLogger),
                access: PostgresAccessDirectory(client: client, usage: usage, logger: Init.poolLogger),
                configuration: configuration
            ))
        }
    }

    /// The database, and the cipher over the root key, for the commands that seal or wrap.
    static func withKeys<Result: Sendable>(
        _ options: DatabaseOptions, _ body: (Database, SodiumFieldCipher, FieldProtection) async throws -> Result
    ) async throws -> Result {
        let rootKey = try FieldKeys.rootKey(for: try options.configuration())
        let cipher = try SodiumFieldCipher(rootKey: rootKey)
        let indexer = try SodiumBlindIndexer(rootKey: rootKey)
        return try await withDatabase(options) { database in
            try await body(database, cipher, FieldProtection(cipher: cipher, indexer: indexer, keys: database.store, keeper: database.keeper))
        }
    }

    struct TenantOption: ParsableArguments {
        @Option(name: .long, help: "The tenant (a UUID).") var tenant: String

        func id() throws -> TenantID {
            guard let id = TenantID(string: tenant) else { throw ValidationError("--tenant must be a UUID") }
            return id
        }
    }

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new root key file (mode 0600) and print its fingerprint; appended to the system audit log."
        )
        @OptionGroup var options: DatabaseOptions
        @Option(name: .long, help: "Where to write the key (default: CUSTOS_ROOT_KEY_FILE, else <state dir>/root.key). Must not exist.")
        var file: String?

        func run() async throws {
            let configuration = try options.configuration()
            let path = file ?? configuration.rootKeyFile ?? configuration.stateURL.appendingPathComponent("root.key").path
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let key = try RootKey.generate()
            try key.writeKeyFile(path: path)
            do {
                try await withApplicationClient(configuration, connectionsMax: 2) { client in
                    let keeper = PostgresRecordKeeper(
                        client: client, origins: configuration.auditOrigins, clock: SystemClock(),
                        usage: PoolUsage(connectionsMax: 2), logger: Self.poolLogger
                    )
                    let event = AuditEvent(
                        scope: .system, eventType: "keys.root_key_created", context: KeysCommand.operatorContext, outcome: .success,
                        resourceType: "root_key", resourceID: key.fingerprint
                    )
                    _ = try await keeper.commit(AuditedChange(events: [event]))
                }
            } catch {
                // Not recorded, so not made: the file goes, and nothing refers to the key yet.
                try? FileManager.default.removeItem(atPath: path)
                throw error
            }
            print("root key \(key.fingerprint) written to \(path)")
            print("point CUSTOS_ROOT_KEY_FILE at it; keep a copy offline: without it no field can be decrypted")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "New key-encryption-key version for a tenant: rewraps its data keys (rows untouched) and adds a new data-key version per subject."
        )
        @OptionGroup var tenant: TenantOption
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let tenant = try tenant.id()
            let rotation = try await KeysCommand.withKeys(options) { database, cipher, _ in
                let rotation = try await RotateTenantKeys(administration: database.administration, store: database.store, cipher: cipher)(
                    tenant: tenant, context: KeysCommand.operatorContext
                )
                await database.signLogs(tenant: nil)
                return rotation
            }
            print("tenant \(tenant): key-encryption key \(rotation.fromVersion) -> \(rotation.toVersion); "
                + "\(rotation.rewrapped.count) data keys rewrapped, \(rotation.added.count) new data-key versions; "
                + "run `custos keys reencrypt --tenant \(tenant)` to move rows to them")
        }
    }

    struct Reencrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a tenant's rows to their subjects' newest data keys, in batches (resumable), then retire unused keys."
        )
        @OptionGroup var tenant: TenantOption
        @OptionGroup var options: DatabaseOptions
        @Option(name: .long, help: "Rows per database transaction (1 to \(ReencryptTenant.batchMax)).") var batch = 1_000

        func run() async throws {
            guard (1...ReencryptTenant.batchMax).contains(batch) else {
                throw ValidationError("--batch must be 1 to \(ReencryptTenant.batchMax)")
            }
            let tenant = try tenant.id()
            let result = try await KeysCommand.withKeys(options) { database, _, fields in
                let result = try await ReencryptTenant(administration: database.administration, fields: fields)(
                    tenant: tenant, batch: batch, context: KeysCommand.operatorContext
                ) { done in
                    FileHandle.standardError.write(Data("re-encrypted \(done) rows\n".utf8))
                }
                await database.signLogs(tenant: tenant)
                return result
            }
            print("tenant \(tenant): \(result.rows) rows re-encrypted, \(result.retired.count) data keys retired")
        }
    }

    struct Shred: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Destroy a subject's data keys (crypto-shredding): its fields then read as erased, and leave the blind indexes."
        )
        @OptionGroup var tenant: TenantOption
        @Option(name: .long, help: "The subject: the account identifier whose holder's data is erased.") var subject: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let tenant = try tenant.id()
            guard let account = AccountIdentifier(subject) else { throw ValidationError("--subject \(AccountIdentifier.rule)") }
            let result = try await KeysCommand.withDatabase(options) { database in
                let result = try await ShredSubject(administration: database.administration)(
                    DataSubject(tenant: tenant, id: account), context: KeysCommand.operatorContext
                )
                await database.signLogs(tenant: nil)
                return result
            }
            print("tenant \(tenant): \(result.keys.count) data keys destroyed; \(result.rows) rows now read as erased")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List key-encryption-key versions and data keys, with how many rows each protects."
        )
        @Option(name: .long, help: "Only this tenant (a UUID); default: every tenant with keys.") var tenant: String?
        @Flag(name: .long, help: "Also list every data key (id, version, status, KEK version, rows).") var each = false
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            var only: TenantID?
            if let tenant {
                guard let id = TenantID(string: tenant) else { throw ValidationError("--tenant must be a UUID") }
                only = id
            }
            let lines = try await KeysCommand.withDatabase(options) { tools in
                var lines: [String] = []
                let tenants: [TenantID]
                if let only { tenants = [only] } else { tenants = try await tools.administration.tenants() }
                for tenant in tenants {
                    let status = try await tools.administration.status(tenant: tenant, eachKey: each)
                    lines.append("tenant \(tenant)")
                    for kek in status.keks {
                        lines.append("  kek v\(kek.version) \(kek.status): wraps \(kek.dataKeys) live data keys")
                    }
                    for group in status.dataKeys {
                        lines.append("  data keys v\(group.version) \(group.status.rawValue): \(group.keys) keys, \(group.rows) rows")
                    }
                    for key in status.eachKey {
                        lines.append("  key \(key.reference.id) v\(key.reference.version) \(key.status.rawValue) (kek v\(key.kekVersion)): \(key.rows) rows")
                    }
                    if status.plaintextRows > 0 {
                        lines.append("  \(status.plaintextRows) rows still in plaintext: run `custos keys reencrypt --tenant \(tenant)`")
                    }
                }
                return lines
            }
            print(lines.isEmpty ? "no keys yet" : lines.joined(separator: "\n"))
        }
    }
}
