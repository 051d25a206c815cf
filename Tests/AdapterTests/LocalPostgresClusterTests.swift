import Foundation
import PostgresAdapters
import PostgresNIO
import TestSupport
import Testing

/// `custos db`: a real cluster is created, started, found running, stopped and restarted with its data.
/// The state folder is under the system's temporary directory; as root, that folder is private to
/// root, so this also exercises the fallback to a private folder the postgres user owns.
@Suite struct LocalPostgresClusterTests {
    @Test func lifecycleIsIdempotentAndKeepsData() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("custos-state-\(UUID().uuidString)")
        let cluster = LocalPostgresCluster(stateDirectory: state)
        #expect(try cluster.status() == .notCreated)
        let url = try cluster.start()
        defer {
            try? cluster.stop()
            if case .stopped(let directory)? = try? cluster.status() { try? FileManager.default.removeItem(atPath: directory) }
            try? FileManager.default.removeItem(at: state)
        }
        #expect(try cluster.start().secretString == url.secretString, "a second start changes nothing")
        guard case .running(_, let port) = try cluster.status() else {
            Issue.record("not running after start")
            return
        }
        #expect(port == url.port)
        #expect(url.host == "127.0.0.1")
        let mode = try FileManager.default.attributesOfItem(atPath: state.appendingPathComponent("postgres.json").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try await TestDatabase.withClient(url) { client in
            _ = try await client.query("CREATE TABLE kept (v text)", logger: .init(label: "test"))
            _ = try await client.query("INSERT INTO kept VALUES ('still here')", logger: .init(label: "test"))
        }
        try cluster.stop()
        try cluster.stop()
        guard case .stopped = try cluster.status() else {
            Issue.record("not stopped after stop")
            return
        }
        let restarted = try cluster.start()
        let value = try await TestDatabase.withClient(restarted) { client in
            let rows = try await client.query("SELECT v FROM kept", logger: .init(label: "test"))
            for try await v in rows.decode(String.self) { return v }
            return ""
        }
        #expect(value == "still here")
    }

    @Test func urlWithoutAClusterIsAClearError() {
        let cluster = LocalPostgresCluster(stateDirectory: URL(fileURLWithPath: "/nonexistent/custos-\(UUID().uuidString)"))
        let error = #expect(throws: LocalPostgresCluster.Failure.self) { try cluster.url() }
        #expect(error?.description.contains("custos db start") == true)
    }
}
