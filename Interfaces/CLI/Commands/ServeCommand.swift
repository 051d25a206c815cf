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

    @Option(name: .long, help: "PEM certificate chain (leaf first): serve HTTPS, TLS 1.2 or later (env CUSTOS_TLS_CERT_FILE; needs --tls-key).")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key of --tls-cert, unencrypted (env CUSTOS_TLS_KEY_FILE).")
    var tlsKey: String?

    @Option(name: .long, help: "PEM CA certificates: require client certificates that chain to them (mTLS) (env CUSTOS_TLS_CLIENT_CA_FILE).")
    var tlsClientCa: String?

    @Option(name: .long, help: "A policy bundle folder to activate before serving, when it is not the active bundle already (its tests must pass).")
    var policies: String?

    func run() async throws {
        var configuration = try options.configuration()
        if let host { configuration.httpHost = host }
        if let port {
            guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
            configuration.httpPort = port
        }
        if let tlsCert { configuration.tlsCertificateFile = tlsCert }
        if let tlsKey { configuration.tlsKeyFile = tlsKey }
        if let tlsClientCa { configuration.tlsClientCAFile = tlsClientCa }
        // Read and checked before anything starts: a bad file stops start-up with one line.
        let tls = try ServerTLS.load(configuration)
        LogSetup.bootstrap(configuration)
        let logger = Logger(label: "custos")
        let sodiumVersion = try Sodium.initialize()
        // Read and tested before anything starts: a broken bundle stops start-up with its file:line:col.
        let bundle = try policies.map { folder throws in try PolicyCommand.loadTested(folder) }
        let server = try ServerAssembly.make(configuration: configuration, tls: tls, activating: bundle, logger: logger)
        logger.info("starting", metadata: [
            "http": .string("\(configuration.httpHost):\(configuration.httpPort)"),
            "tls": .string(tls.map { $0.clientCertificatesRequired ? "mtls" : "on" } ?? "off"),
            "database": .string(server.databaseDescription),
            "libsodium": .string(sodiumVersion),
        ])
        tls?.logValidity(to: logger)
        try await server.run()
        logger.info("stopped")
    }
}
