import ArgumentParser
import PostgresAdapters

/// `custos db start | stop | status | url`: the private local PostgreSQL cluster.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the private local PostgreSQL cluster kept under .custos/.",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self]
    )

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (if needed) and start the local cluster; idempotent.")
        @OptionGroup var options: DatabaseOptions
        func run() throws {
            let url = try cluster(options).start()
            print("local database running at \(url)")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the local cluster; idempotent.")
        @OptionGroup var options: DatabaseOptions
        func run() throws {
            try cluster(options).stop()
            print("local database stopped")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the local cluster exists and runs (exit 3 when stopped).")
        @OptionGroup var options: DatabaseOptions
        func run() throws {
            switch try cluster(options).status() {
            case .notCreated:
                print("no local database (run `custos db start`)")
                throw ExitCode(3)
            case .stopped(let directory):
                print("stopped (cluster in \(directory))")
                throw ExitCode(3)
            case .running(let directory, let port):
                print("running on 127.0.0.1:\(port) (cluster in \(directory))")
            }
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the owner's connection URL, password included (for migrations and tests), or with --app the application role's."
        )
        @OptionGroup var options: DatabaseOptions
        @Flag(name: .long, help: "The URL of the application role custos_app, which custos serve connects as.")
        var app = false
        func run() throws {
            let cluster = try cluster(options)
            print(try (app ? cluster.applicationURL() : cluster.url()).secretString)
        }
    }

    static func cluster(_ options: DatabaseOptions) throws -> LocalPostgresCluster {
        LocalPostgresCluster(stateDirectory: try options.configuration().stateURL)
    }
}

private func cluster(_ options: DatabaseOptions) throws -> LocalPostgresCluster {
    try DatabaseCommand.cluster(options)
}
