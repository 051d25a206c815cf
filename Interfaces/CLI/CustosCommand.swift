import ArgumentParser

/// `custos`: the command line and the composition root of the server.
public struct CustosCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "custos",
        abstract: "Custos: a compliance backend for regulated money movements.",
        version: CustosCommand.version,
        subcommands: [ServeCommand.self, MigrateCommand.self, DatabaseCommand.self, AuditCommand.self, KeysCommand.self, PolicyCommand.self,
            TenantsCommand.self, ClientsCommand.self, BenchCommand.self,
        ]
    )

    public init() {}

    /// Reported in export manifests.
    static let version = "0.1.0"
}

/// Options every command that touches the database shares; flags win over the environment.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Folder of the numbered SQL migrations (env CUSTOS_MIGRATIONS_DIR, default ./migrations).")
    var migrationsDir: String?

    @Option(name: .long, help: "Folder for the local database's state (env CUSTOS_STATE_DIR, default ./.custos).")
    var stateDir: String?

    func configuration() throws -> Configuration {
        var configuration = try Configuration.fromEnvironment()
        if let migrationsDir { configuration.migrationsDirectory = migrationsDir }
        if let stateDir { configuration.stateDirectory = stateDir }
        return configuration
    }
}
