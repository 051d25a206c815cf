import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://` connection URL (libpq style), parsed into a postgres-nio configuration.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…][&sslrootcert=/ca.pem][&host=/socket/dir]`
/// `sslmode`: `disable`, `prefer` (default, as libpq), `require` (encrypted, unverified),
/// `verify-full` (encrypted, certificate and host name verified against the system's trust roots,
/// or against `sslrootcert` when given). Use `verify-full` in production.
/// Any other query parameter is refused rather than silently ignored.
public struct PostgresURL: Hashable, Sendable, CustomStringConvertible {
    public enum SSLMode: String, Hashable, Sendable { case disable, prefer, require, verifyFull = "verify-full" }

    public let username: String
    public let password: String?
    public let host: String
    public let port: Int
    public let database: String
    public let sslMode: SSLMode
    /// The folder holding the server's Unix socket, when connecting through one.
    public let socketDirectory: String?
    /// A PEM file of CA certificates to verify the server with (`verify-full` only).
    public let rootCertificatePath: String?

    static let knownParameters: Set<String> = ["sslmode", "sslrootcert", "host"]

    public struct ParseError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "DATABASE_URL is not a valid postgres:// URL: \(reason)" }
    }

    public init(
        username: String, password: String?, host: String, port: Int, database: String,
        sslMode: SSLMode, socketDirectory: String? = nil, rootCertificatePath: String? = nil
    ) {
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.socketDirectory = socketDirectory
        self.rootCertificatePath = rootCertificatePath
    }

    /// Parse errors never repeat the URL: it may hold a password.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text) else { throw ParseError(reason: "unparseable") }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw ParseError(reason: "the scheme must be postgres:// or postgresql://")
        }
        guard let user = components.user, !user.isEmpty else { throw ParseError(reason: "no user name") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw ParseError(reason: "no database name") }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last }
        )
        if let unknown = query.keys.sorted().first(where: { !PostgresURL.knownParameters.contains($0) }) {
            throw ParseError(reason: "unknown parameter \(unknown) (known: host, sslmode, sslrootcert)")
        }
        let modeText = query["sslmode"] ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw ParseError(reason: "sslmode must be disable, prefer, require or verify-full")
        }
        let socket = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let rootCertificate = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
        if rootCertificate != nil, mode != .verifyFull {
            throw ParseError(reason: "sslrootcert needs sslmode=verify-full")
        }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? (socket == nil ? "localhost" : "")
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw ParseError(reason: "port out of range") }
        self.init(
            username: user, password: components.password, host: host, port: port, database: database,
            sslMode: mode, socketDirectory: socket, rootCertificatePath: rootCertificate
        )
    }

    /// The URL with the password replaced by `***`, safe to log.
    public var description: String { render(password: password == nil ? nil : "***") }

    /// The full URL, password included: for `custos db url` only, never for logs.
    public var secretString: String { render(password: password) }

    private func render(password: String?) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host.isEmpty ? nil : host
        components.port = port
        components.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        if let rootCertificatePath { items.append(URLQueryItem(name: "sslrootcert", value: rootCertificatePath)) }
        if let socketDirectory { items.append(URLQueryItem(name: "host", value: socketDirectory)) }
        components.queryItems = items
        return components.string ?? "postgres://invalid"
    }

    public func with(database: String) -> PostgresURL {
        PostgresURL(
            username: username, password: password, host: host, port: port, database: database,
            sslMode: sslMode, socketDirectory: socketDirectory, rootCertificatePath: rootCertificatePath
        )
    }

    public func with(username: String, password: String?) -> PostgresURL {
        PostgresURL(
            username: username, password: password, host: host, port: port, database: database,
            sslMode: sslMode, socketDirectory: socketDirectory, rootCertificatePath: rootCertificatePath
        )
    }

    public func clientConfiguration(connectionsMax: Int) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(
                unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: username,
                password: password, database: database
            )
        } else {
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: tls
            )
        }
        configuration.options.maximumConnections = connectionsMax
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private var tls: PostgresClient.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch sslMode {
        case .disable: return .disable
        case .prefer: return .prefer(unverified)
        case .require: return .require(unverified)
        case .verifyFull:
            var verified = TLSConfiguration.makeClientConfiguration()
            verified.certificateVerification = .fullVerification
            if let rootCertificatePath { verified.trustRoots = .file(rootCertificatePath) }
            return .require(verified)
        }
    }
}
