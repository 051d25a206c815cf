import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster for development and tests, managed with initdb and pg_ctl.
///
/// State lives in `stateDirectory` (`.custos/` by default): `postgres.json` (mode 0600) records
/// where the cluster is, its port and its generated password. The cluster itself lives in
/// `stateDirectory/postgres/` or, when running as root and the `postgres` OS user cannot reach
/// that folder, in a private folder under the system's temporary directory.
/// The server listens on 127.0.0.1 only, on a free port, with its socket in a private folder,
/// and requires SCRAM-SHA-256 password authentication.
///
/// Two roles log in: `custos`, the superuser that owns the schema and runs migrations (`url()`),
/// and `custos_app`, the application role that `custos serve` connects as (`applicationURL()`),
/// which the migrations allow only what the application needs (docs/operations.md).
public struct LocalPostgresCluster: Sendable {
    /// The application role's name, as the migrations grant to it.
    public static let applicationRole = "custos_app"

    public enum Status: Equatable, Sendable {
        case notCreated
        case stopped(clusterDirectory: String)
        case running(clusterDirectory: String, port: Int)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    struct State: Codable {
        var clusterDirectory: String
        var port: Int
        var user: String
        var password: String
        var database: String
        /// The application role's password; absent in state files written before it existed.
        var applicationPassword: String?
    }

    public let stateDirectory: URL
    private let binDirectory: String?

    public init(stateDirectory: URL, binDirectory: String? = nil) {
        self.stateDirectory = stateDirectory.standardizedFileURL
        self.binDirectory = binDirectory
    }

    private var stateFile: URL { stateDirectory.appendingPathComponent("postgres.json") }
    private var isRoot: Bool { geteuid() == 0 }
    private var runner: CommandRunner { CommandRunner(runAsUser: isRoot ? "postgres" : nil) }

    // MARK: Commands

    /// Creates the cluster if needed, starts it if stopped, creates the database; returns its URL.
    /// Safe to call again and from several processes at once (serialised by a lock file).
    @discardableResult
    public func start() throws -> PostgresURL {
        try withLock {
            var state = try loadState() ?? createState()
            if try !isInitialized(state) { try initialize(state) }
            if try serverStatus(state) != 0 {
                if !Self.isPortFree(state.port) {
                    state.port = try Self.freePort()
                    try saveState(state)
                }
                try startServer(state)
            }
            try createDatabase(state)
            if state.applicationPassword == nil {
                state.applicationPassword = Self.randomPassword()
                try saveState(state)
            }
            try ensureApplicationRole(state)
            return url(of: state)
        }
    }

    /// Stops the server (fast shutdown: running transactions are rolled back). Idempotent.
    public func stop() throws {
        try withLock {
            guard let state = try loadState(), try isInitialized(state), try serverStatus(state) == 0 else { return }
            _ = try runner.runChecked(try tool("pg_ctl"), ["stop", "-D", dataDirectory(state), "-m", "fast", "-w", "-t", "60"])
        }
    }

    public func status() throws -> Status {
        guard let state = try loadState(), try isInitialized(state) else { return .notCreated }
        if try serverStatus(state) == 0 { return .running(clusterDirectory: state.clusterDirectory, port: state.port) }
        return .stopped(clusterDirectory: state.clusterDirectory)
    }

    /// The connection URL (with the generated password); fails if the cluster was never created.
    public func url() throws -> PostgresURL {
        guard let state = try loadState() else {
            throw Failure(description: "no local database in \(stateDirectory.path); run `custos db start` first")
        }
        return url(of: state)
    }

    /// The URL of the application role (`custos_app`); fails if the cluster was never started.
    public func applicationURL() throws -> PostgresURL {
        guard let state = try loadState(), let password = state.applicationPassword else {
            throw Failure(description: "no local database in \(stateDirectory.path); run `custos db start` first")
        }
        return PostgresURL(
            username: Self.applicationRole, password: password, host: "127.0.0.1", port: state.port,
            database: state.database, sslMode: .disable
        )
    }

    // MARK: Steps

    private func url(of state: State) -> PostgresURL {
        PostgresURL(
            username: state.user, password: state.password, host: "127.0.0.1", port: state.port,
            database: state.database, sslMode: .disable
        )
    }

    private func dataDirectory(_ state: State) -> String { state.clusterDirectory + "/data" }
    private func socketDirectory(_ state: State) -> String { state.clusterDirectory + "/run" }

    private func createState() throws -> State {
        let state = State(
            clusterDirectory: try makeClusterDirectory(), port: try Self.freePort(), user: "custos",
            password: Self.randomPassword(), database: "custos"
        )
        try saveState(state)
        return state
    }

    /// `stateDirectory/postgres`, or a private temporary folder when the postgres user cannot reach it.
    private func makeClusterDirectory() throws -> String {
        let preferred = stateDirectory.appendingPathComponent("postgres").path
        try FileManager.default.createDirectory(atPath: preferred, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard isRoot else { return preferred }
        try chownToPostgres(preferred)
        if try runner.run("/usr/bin/test", ["-w", preferred, "-a", "-x", preferred]).status == 0 { return preferred }
        try? FileManager.default.removeItem(atPath: preferred)
        var template = Array((FileManager.default.temporaryDirectory.path + "/custos-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "cannot create a private temporary folder") }
        let path = String(cString: made)
        try chownToPostgres(path)
        return path
    }

    private func isInitialized(_ state: State) throws -> Bool {
        FileManager.default.fileExists(atPath: dataDirectory(state) + "/PG_VERSION")
    }

    private func initialize(_ state: State) throws {
        let passwordFile = state.clusterDirectory + "/initdb-password"
        try writePrivateFile(passwordFile, Array(state.password.utf8))
        defer { unlink(passwordFile) }
        try? FileManager.default.removeItem(atPath: dataDirectory(state))
        _ = try runner.runChecked(try tool("initdb"), [
            "-D", dataDirectory(state), "-U", state.user, "--pwfile=\(passwordFile)",
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions",
        ])
    }

    /// pg_ctl's status: 0 running, 3 stopped, 4 no data folder.
    private func serverStatus(_ state: State) throws -> Int32 {
        try runner.run(try tool("pg_ctl"), ["status", "-D", dataDirectory(state)]).status
    }

    private func startServer(_ state: State) throws {
        let socket = socketDirectory(state)
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if isRoot { try chownToPostgres(socket) }
        let options = "-p \(state.port) -k \(socket) -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 -c max_connections=300"
        _ = try runner.runChecked(try tool("pg_ctl"), [
            "start", "-w", "-t", "60", "-D", dataDirectory(state), "-l", state.clusterDirectory + "/server.log", "-o", options,
        ])
    }

    private func createDatabase(_ state: State) throws {
        let result = try runner.run(
            try tool("createdb"), ["-h", "127.0.0.1", "-p", String(state.port), "-U", state.user, state.database],
            environment: ["PGPASSWORD": state.password]
        )
        guard result.status == 0 || result.output.contains("already exists") else {
            throw CommandRunner.Failure(command: "createdb", status: result.status, output: result.output)
        }
    }

    /// Creates the login role `custos_app` or resets its password to the one in the state file.
    /// The SQL goes through a 0600 file, so that the password never appears in a process list.
    private func ensureApplicationRole(_ state: State) throws {
        guard let password = state.applicationPassword else { return }
        guard Self.isGeneratedPassword(password), Self.isGeneratedPassword(state.password) else {
            throw Failure(description: "\(stateFile.path) holds a password that custos did not generate; remove it and the cluster folder to start over")
        }
        let role = Self.applicationRole
        // Nothing of this file may reach the server log, not even when a statement fails.
        let sql = """
            SET log_statement = 'none';
            SET log_min_error_statement = 'panic';
            DO $custos$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(role)') THEN
                    CREATE ROLE \(role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '\(password)';
                ELSE
                    ALTER ROLE \(role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '\(password)';
                END IF;
            END $custos$;
            """
        let file = state.clusterDirectory + "/application-role.sql"
        try writePrivateFile(file, Array(sql.utf8))
        defer { unlink(file) }
        _ = try runner.runChecked(
            try tool("psql"),
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(state.port), "-U", state.user, "-d", state.database, "-f", file],
            environment: ["PGPASSWORD": state.password]
        )
    }

    /// Writes a 0600 file that only the tools read, never through a link: `O_EXCL | O_NOFOLLOW`
    /// on a fresh name (a leftover is unlinked first, which never follows a link either), and,
    /// as root, handed to the postgres user with `fchown` on the open descriptor.
    private func writePrivateFile(_ path: String, _ bytes: [UInt8]) throws {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot write \(path)") }
        defer { close(descriptor) }
        if isRoot {
            let (uid, gid) = try Self.postgresUser()
            guard fchown(descriptor, uid, gid) == 0 else { throw Failure(description: "cannot hand \(path) to the postgres user") }
        }
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw Failure(description: "cannot write \(path)") }
    }

    /// 32 letters and digits, as `randomPassword` makes them: safe inside an SQL literal.
    static func isGeneratedPassword(_ password: String) -> Bool {
        password.utf8.count == 32 && password.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    // MARK: Helpers

    private func tool(_ name: String) throws -> String {
        if let binDirectory { return try CommandRunner.locate(name, in: [binDirectory]) }
        var folders: [String] = []
        if let configured = try? CommandRunner(runAsUser: nil).run("/usr/bin/env", ["pg_config", "--bindir"]),
           configured.status == 0 {
            folders.append(configured.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        folders += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        folders += ["/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"]
        return try CommandRunner.locate(name, in: folders)
    }

    /// The `postgres` OS user's ids, which the cluster's files belong to when running as root.
    private static func postgresUser() throws -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam("postgres") else {
            throw Failure(description: "running as root needs the `postgres` OS user (install postgresql)")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    private func chownToPostgres(_ path: String) throws {
        let (uid, gid) = try Self.postgresUser()
        guard chown(path, uid, gid) == 0 else {
            throw Failure(description: "cannot hand \(path) to the postgres user")
        }
    }

    private func loadState() throws -> State? {
        guard let data = FileManager.default.contents(atPath: stateFile.path) else { return nil }
        do {
            return try JSONDecoder().decode(State.self, from: data)
        } catch {
            throw Failure(description: "\(stateFile.path) is unreadable; remove it and the cluster folder to start over")
        }
    }

    private func saveState(_ state: State) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state)
        let temporary = stateFile.path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw Failure(description: "cannot write \(temporary)")
        }
        guard rename(temporary, stateFile.path) == 0 else { throw Failure(description: "cannot write \(stateFile.path)") }
    }

    /// Serialises `custos db` commands across processes with an exclusive `flock`.
    private func withLock<Result>(_ body: () throws -> Result) throws -> Result {
        // Traversable (not listable) by others, so that the postgres user can reach the cluster
        // folder inside when running as root; the files here are 0600.
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let descriptor = open(stateDirectory.appendingPathComponent("postgres.lock").path, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open the lock file in \(stateDirectory.path)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw Failure(description: "cannot lock \(stateDirectory.path)") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    static func isPortFree(_ port: Int) -> Bool {
        (try? bindLoopback(port: port)) != nil
    }

    /// A port that is free on 127.0.0.1 right now (the kernel's choice for port 0).
    static func freePort() throws -> Int {
        try bindLoopback(port: 0)
    }

    private static func bindLoopback(port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "port \(port) is not free on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
