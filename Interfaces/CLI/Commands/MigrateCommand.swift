import ArgumentParser
import Logging
import PostgresAdapters
import PostgresNIO

/// `custos migrate [--status]`: applies pending migrations, or lists their state.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations in order (each in its own transaction), or show their status."
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(name: .long, help: "List each migration as applied, pending, changed or missing; exit 3 unless all are applied.")
    var status = false

    func run() async throws {
        let configuration = try options.configuration()
        LogSetup.bootstrap(configuration)
        let files = try MigrationSet.load(directory: configuration.migrationsURL)
        let url = try DatabaseLocator.migrationURL(for: configuration)
        let logger = Logger(label: "custos.migrate")
        let client = PostgresClient(configuration: url.clientConfiguration(connectionsMax: 2), backgroundLogger: Self.poolLogger)
        let migrator = PostgresMigrator(client: client, logger: logger)
        try await withClient(client) {
            if status {
                let report = try await migrator.status(of: files)
                for entry in report.entries { print("\(entry.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(entry.name)") }
                if !report.isCurrent { throw ExitCode(3) }
            } else {
                let applied = try await migrator.migrate(files)
                print(applied.isEmpty ? "database is up to date" : "applied: " + applied.joined(separator: ", "))
            }
        }
    }
}

/// Runs `body` while the client's connection pool runs, then shuts the pool down.
func withClient<Result: Sendable>(_ client: PostgresClient, _ body: () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// Runs `body` with a client on the database the application uses (`DatabaseLocator.url`), its
/// pool running, for the one-shot `custos audit` commands.
func withApplicationClient<Result: Sendable>(
    _ configuration: Configuration, connectionsMax: Int, _ body: (PostgresClient) async throws -> Result
) async throws -> Result {
    let client = PostgresClient(
        configuration: try DatabaseLocator.url(for: configuration).clientConfiguration(connectionsMax: connectionsMax),
        backgroundLogger: MigrateCommand.poolLogger
    )
    return try await withClient(client) { try await body(client) }
}

extension ParsableArguments {
    /// One-shot commands hear from the connection pool only about errors: its start-up and
    /// shutdown chatter is noise on a terminal.
    static var poolLogger: Logger {
        var logger = Logger(label: "custos.postgres")
        logger.logLevel = .error
        return logger
    }
}

extension StoredLogExport {
    static var poolLogger: Logger { MigrateCommand.poolLogger }
}

/// Where to connect. DATABASE_URL when set; otherwise, outside production, the local cluster,
/// started if needed: as its application role for the application, as its owner for migrations.
enum DatabaseLocator {
    /// What the application connects as.
    static func url(for configuration: Configuration) throws -> PostgresURL {
        if let raw = configuration.databaseURL { return try PostgresURL(raw) }
        // Migrating one database and serving another would be a silent mistake.
        guard configuration.migrationDatabaseURL == nil else {
            throw Configuration.Invalid(variable: "DATABASE_URL", reason: "must be set when CUSTOS_MIGRATION_DATABASE_URL is")
        }
        let cluster = try localCluster(configuration, variable: "DATABASE_URL")
        try cluster.start()
        return try cluster.applicationURL()
    }

    /// What migrations (and other schema owner's work, such as creating scratch databases) run as:
    /// CUSTOS_MIGRATION_DATABASE_URL, else DATABASE_URL, else the local cluster's owner.
    static func migrationURL(for configuration: Configuration) throws -> PostgresURL {
        if let raw = configuration.migrationDatabaseURL {
            do {
                return try PostgresURL(raw)
            } catch let error as PostgresURL.ParseError {
                throw Configuration.Invalid(variable: "CUSTOS_MIGRATION_DATABASE_URL", reason: "is not a valid postgres:// URL: \(error.reason)")
            }
        }
        if let raw = configuration.databaseURL { return try PostgresURL(raw) }
        return try localCluster(configuration, variable: "DATABASE_URL").start()
    }

    /// Both, for `custos serve`: the local cluster, when used, is started once.
    static func urls(for configuration: Configuration) throws -> (application: PostgresURL, migration: PostgresURL) {
        guard configuration.databaseURL == nil, configuration.migrationDatabaseURL == nil else {
            return (try url(for: configuration), try migrationURL(for: configuration))
        }
        let cluster = try localCluster(configuration, variable: "DATABASE_URL")
        let owner = try cluster.start()
        return (try cluster.applicationURL(), owner)
    }

    private static func localCluster(_ configuration: Configuration, variable: String) throws -> LocalPostgresCluster {
        guard configuration.environment == .development else {
            throw Configuration.Invalid(variable: variable, reason: "must be set when CUSTOS_ENVIRONMENT=production")
        }
        return LocalPostgresCluster(stateDirectory: configuration.stateURL)
    }
}
