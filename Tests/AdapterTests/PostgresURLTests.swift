import PostgresAdapters
import Testing

@Suite struct PostgresURLTests {
    @Test func parsesAFullURL() throws {
        let url = try PostgresURL("postgres://app:s%40cret@db.example:6543/custos?sslmode=verify-full")
        #expect(url.username == "app")
        #expect(url.password == "s@cret")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.database == "custos")
        #expect(url.sslMode == .verifyFull)
    }

    @Test func defaultsFollowLibpq() throws {
        let url = try PostgresURL("postgresql://app@localhost/custos")
        #expect(url.port == 5432)
        #expect(url.sslMode == .prefer)
        #expect(url.password == nil)
    }

    @Test func unixSocketFolderComesFromTheHostParameter() throws {
        let url = try PostgresURL("postgres://app@/custos?host=/var/run/postgresql")
        #expect(url.socketDirectory == "/var/run/postgresql")
    }

    @Test func neverShowsThePasswordWhenDescribed() throws {
        let url = try PostgresURL("postgres://app:hunter2@localhost:5432/custos")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description.contains("app:***@localhost"))
        #expect(url.secretString.contains("hunter2"))
        #expect(try PostgresURL(url.secretString).password == "hunter2")
    }

    @Test func verifyFullMayNameItsOwnCertificateAuthority() throws {
        let url = try PostgresURL("postgres://app@db.example/custos?sslmode=verify-full&sslrootcert=/etc/custos/ca.pem")
        #expect(url.rootCertificatePath == "/etc/custos/ca.pem")
        #expect(try PostgresURL(url.secretString).rootCertificatePath == "/etc/custos/ca.pem")
    }

    @Test(arguments: [
        "postgres://app:hunter2@localhost/custos?sslmode=require&sslrootcert=/ca.pem",
        "postgres://app:hunter2@localhost/custos?sslmod=disable",
        "postgres://app:hunter2@localhost/custos?connect_timeout=5",
    ])
    func refusesParametersItWouldOtherwiseIgnore(text: String) {
        #expect(throws: PostgresURL.ParseError.self) { try PostgresURL(text) }
    }

    @Test(arguments: [
        "mysql://app:hunter2@localhost/custos", "postgres://localhost/custos", "postgres://app:hunter2@localhost/",
        "postgres://app:hunter2@localhost/custos?sslmode=sometimes", "not a url at all",
    ])
    func rejectsWithoutEchoingSecrets(text: String) {
        let error = #expect(throws: PostgresURL.ParseError.self) { try PostgresURL(text) }
        #expect(error.map { !String(describing: $0).contains("hunter2") } ?? false)
    }
}
