import Foundation
import Logging
import PostgresAdapters
import PostgresNIO
import TestSupport
import Testing

/// `custos migrate` against a real PostgreSQL, with migration folders made per test.
@Suite final class MigratorTests {
    let logger = Logger(label: "test")
    /// Swift Testing makes one instance per test; its folder goes when the test ends.
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("custos-migrations-\(UUID().uuidString)")
    deinit { try? FileManager.default.removeItem(at: root) }

    /// A temporary migrations folder holding `files` (name → SQL).
    func folder(_ files: [String: String]) throws -> URL {
        let url = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    func tableExists(_ name: String, _ client: PostgresClient) async throws -> Bool {
        let rows = try await client.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }

    @Test func appliesPendingFilesInOrderOnceOnly() async throws {
        let dir = try folder([
            "0001_a.sql": "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);",
            "0002_b.sql": "CREATE TABLE b (a_id int);\nINSERT INTO b SELECT id FROM a;",
            "README.md": "ignored",
        ])
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let migrator = PostgresMigrator(client: client, logger: logger)
            let files = try MigrationSet.load(directory: dir)
            #expect(try await migrator.databaseIsEmpty())
            #expect(try await migrator.migrate(files) == ["0001_a.sql", "0002_b.sql"])
            #expect(try await migrator.migrate(files) == [])
            #expect(try await TestDatabase.count("b", client) == 1)
            let status = try await migrator.status(of: files)
            #expect(status.isCurrent)
            #expect(status.entries.map(\.state) == [.applied, .applied])
        }
    }

    @Test func refusesWhenAnAppliedFileChangedNamingTheFile() async throws {
        let dir = try folder(["0001_a.sql": "CREATE TABLE a (id int);"])
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let migrator = PostgresMigrator(client: client, logger: logger)
            try await migrator.migrate(try MigrationSet.load(directory: dir))
            try "CREATE TABLE a (id bigint);".write(to: dir.appendingPathComponent("0001_a.sql"), atomically: true, encoding: .utf8)
            try "CREATE TABLE c (id int);".write(to: dir.appendingPathComponent("0002_c.sql"), atomically: true, encoding: .utf8)
            let changed = try MigrationSet.load(directory: dir)
            let error = try await #require(throws: MigrationError.self) { try await migrator.migrate(changed) }
            guard case .changedSinceApplied(let file, _, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == "0001_a.sql")
            #expect(error.description.contains("0001_a.sql has changed since it was applied"))
            #expect(try await !tableExists("c", client), "nothing may run after a refused check")
            #expect(try await migrator.status(of: changed).entries.map(\.state) == [.changed, .pending])
        }
    }

    @Test func aFailingFileLeavesNothingBehind() async throws {
        let dir = try folder([
            "0001_a.sql": "CREATE TABLE a (id int);",
            "0002_bad.sql": "CREATE TABLE half (id int);\n\nINSERT INTO missing_table VALUES (1);",
        ])
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let migrator = PostgresMigrator(client: client, logger: logger)
            let files = try MigrationSet.load(directory: dir)
            let error = try await #require(throws: MigrationError.self) { try await migrator.migrate(files) }
            #expect(error.description.hasPrefix("0002_bad.sql:3:1: relation \"missing_table\" does not exist"))
            #expect(try await tableExists("a", client))
            #expect(try await !tableExists("half", client))
            #expect(try await migrator.status(of: files).entries.map(\.state) == [.applied, .pending])
        }
    }

    @Test func concurrentMigratorsApplyEachFileOnce() async throws {
        let dir = try folder([
            "0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);",
            "0003_c.sql": "INSERT INTO a VALUES (1);",
        ])
        try await TestDatabase.withDatabase(migrated: false) { client, url in
            let files = try MigrationSet.load(directory: dir)
            let logger = self.logger
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await TestDatabase.withClient(url) { own in
                            try await PostgresMigrator(client: own, logger: logger).migrate(files)
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(applied.sorted() == ["0001_a.sql", "0002_b.sql", "0003_c.sql"])
            #expect(try await TestDatabase.count("a", client) == 1)
        }
    }

    @Test func refusesWhenTheDatabaseIsAheadOfTheFiles() async throws {
        let dir = try folder(["0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);"])
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let migrator = PostgresMigrator(client: client, logger: logger)
            try await migrator.migrate(try MigrationSet.load(directory: dir))
            try FileManager.default.removeItem(at: dir.appendingPathComponent("0002_b.sql"))
            let older = try MigrationSet.load(directory: dir)
            await #expect(throws: MigrationError.appliedButMissing(version: 2, name: "0002_b.sql")) {
                try await migrator.migrate(older)
            }
            #expect(try await !migrator.status(of: older).isCurrent)
        }
    }

    @Test func theRepositorysMigrationsApplyToAnEmptyDatabase() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let files = try MigrationSet.load(directory: TestDatabase.migrationsDirectory)
            #expect(!files.migrations.isEmpty)
            #expect(try await PostgresMigrator(client: client, logger: logger).status(of: files).isCurrent)
            #expect(try await tableExists("transactions", client))
        }
    }
}

@Suite final class MigrationSetTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("custos-migrations-\(UUID().uuidString)")
    deinit { try? FileManager.default.removeItem(at: root) }

    func folder(_ names: [String]) throws -> URL {
        let url = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for name in names { try "SELECT 1;".write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    @Test(arguments: ["1_a.sql", "0001-a.sql", "0001_A.sql", "0001_.sql", "abcd_a.sql", "0001_a b.sql"])
    func refusesBadNames(name: String) throws {
        let dir = try folder([name])
        #expect(throws: MigrationError.badFileName(file: name)) { try MigrationSet.load(directory: dir) }
    }

    @Test func refusesDuplicateNumbers() throws {
        let dir = try folder(["0001_a.sql", "0001_b.sql"])
        #expect(throws: MigrationError.duplicateVersion(version: 1, files: ["0001_a.sql", "0001_b.sql"])) {
            try MigrationSet.load(directory: dir)
        }
    }

    @Test func ordersByNumberAndChecksumsTheBytes() throws {
        let dir = try folder(["0010_late.sql", "0002_early.sql"])
        let set = try MigrationSet.load(directory: dir)
        #expect(set.migrations.map(\.version) == [2, 10])
        #expect(set.migrations[0].checksum == "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a")  // sha256sum of the file
    }
}
