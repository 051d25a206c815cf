import ArgumentParser
import Domain
import Foundation
import PostgresAdapters
import SodiumAdapters
import SystemAdapters

/// `custos tenants …`: the tenants of this deployment (docs/api-security.md). Each creation is
/// appended to the system audit log in the same database transaction.
struct TenantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "Manage tenants: create, list.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant and print its id.")
        @Argument(help: "The tenant's name (unique; letters, digits, spaces and -_.&', at most 100 bytes).") var name: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let tenant = try await KeysCommand.withDatabase(options) { database in
                let clock = SystemClock()
                let ids = UUIDv7Generator(clock: clock)
                let tenant = try await CreateTenant(keeper: database.keeper, clock: clock, newID: { TenantID(ids.newUUID()) })(
                    name: name, context: KeysCommand.operatorContext
                )
                await database.signLogs(tenant: nil)
                return tenant
            }
            print("created tenant \(tenant.id) (\(tenant.name))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants, oldest first: id, creation time, name.")
        @Option(help: "At most this many (1 to 10,000).") var limit = 1_000
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1 to 10,000") }
            let tenants = try await KeysCommand.withDatabase(options) { try await $0.access.tenants(limit: limit) }
            for tenant in tenants { print("\(tenant.id)  \(tenant.createdAt.rfc3339)  \(tenant.name)") }
        }
    }
}

/// `custos clients …`: API clients of a tenant. The secret is printed once, at creation; only its
/// Argon2id hash is stored. Creation and revocation are appended to the tenant's audit log.
struct ClientsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "Manage API clients: create (prints the secret once), revoke, show.",
        subcommands: [Create.self, Revoke.self, Show.self]
    )

    struct ClientOption: ParsableArguments {
        @Argument(help: "The client (a UUID).") var client: String
        func id() throws -> ClientID {
            guard let id = ClientID(string: client) else { throw ValidationError("the client must be a UUID") }
            return id
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an API client of a tenant and print its id and secret; the secret is not shown again."
        )
        @OptionGroup var tenant: KeysCommand.TenantOption
        @Option(help: ArgumentHelp("Scopes, separated by spaces or commas.", discussion: Scope.allCases.map(\.rawValue).joined(separator: ", ")))
        var scopes: String
        @Option(help: "Roles, separated by spaces or commas (lower-case names).") var roles = ""
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let tenant = try tenant.id()
            let (scopes, roles) = try RegisterClient.parse(scopes: scopes, roles: roles)
            let hasher = try SodiumSecretHasher()
            let (client, secret) = try await KeysCommand.withDatabase(options) { database in
                let clock = SystemClock()
                let ids = UUIDv7Generator(clock: clock)
                let registered = try await RegisterClient(
                    directory: database.access, keeper: database.keeper, hasher: hasher, clock: clock, newID: { ClientID(ids.newUUID()) }
                )(tenant: tenant, scopes: scopes, roles: roles, context: KeysCommand.operatorContext)
                await database.signLogs(tenant: tenant)
                return registered
            }
            print("client_id \(client.id)")
            print("client_secret \(secret.value)")
            print("scopes \(client.scopes.map(\.rawValue).joined(separator: " "))" + (client.roles.isEmpty ? "" : "; roles \(client.roles.map(\.value).joined(separator: " "))"))
            FileHandle.standardError.write(Data("note: the secret is shown once; only its hash is stored\n".utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API client: its secret and tokens are refused from the next request on.")
        @OptionGroup var client: ClientOption
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let id = try client.id()
            let revoked = try await KeysCommand.withDatabase(options) { database in
                let revoked = try await RevokeClient(directory: database.access, keeper: database.keeper, clock: SystemClock())(
                    id, context: KeysCommand.operatorContext
                )
                await database.signLogs(tenant: revoked.tenant)
                return revoked
            }
            print("revoked client \(revoked.id) of tenant \(revoked.tenant) at \(revoked.revokedAt?.rfc3339 ?? "?")")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an API client: tenant, scopes, roles, creation and revocation (never the secret or its hash).")
        @OptionGroup var client: ClientOption
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let id = try client.id()
            guard let found = try await KeysCommand.withDatabase(options, { try await $0.access.client(id) }) else {
                throw AccessError.unknownClient(id)
            }
            print("client \(found.id)")
            print("tenant \(found.tenant)")
            print("scopes \(found.scopes.map(\.rawValue).joined(separator: " "))")
            print("roles \(found.roles.map(\.value).joined(separator: " "))")
            print("created \(found.createdAt.rfc3339)")
            print("revoked \(found.revokedAt?.rfc3339 ?? "no")")
        }
    }
}
