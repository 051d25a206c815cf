import ArgumentParser
import Hummingbird
import Logging
import PolicyAdapters
import SodiumAdapters

/// `custos serve`: the HTTP API, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API on DATABASE_URL, or on the local cluster (started if needed)."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "Address to listen on (env CUSTOS_HTTP_HOST, default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (env CUSTOS_HTTP_PORT, default 8080).")
    var port: Int?

    @Option(name: .long, help: "A policy bundle folder to activate before serving, when it is not the active bundle already (its tests must pass).")
    var policies: String?

    func run() async throws {
        var configuration = try options.configuration()
        if let host { configuration.httpHost = host }
        if let port {
            guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
            configuration.httpPort = port
        }
        LogSetup.bootstrap(configuration)
        let logger = Logger(label: "custos")
        let sodiumVersion = try Sodium.initialize()
        // Read and tested before anything starts: a broken bundle stops start-up with its file:line:col.
        let bundle = try policies.map { folder throws in try PolicyCommand.loadTested(folder) }
        let server = try ServerAssembly.make(configuration: configuration, activating: bundle, logger: logger)
        logger.info("starting", metadata: [
            "http": .string("\(configuration.httpHost):\(configuration.httpPort)"),
            "database": .string(server.databaseDescription),
            "libsodium": .string(sodiumVersion),
        ])
        try await server.run()
        logger.info("stopped")
    }
}
