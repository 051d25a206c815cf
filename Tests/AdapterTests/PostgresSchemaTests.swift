import Domain
import Foundation
import Logging
import MemoryAdapters
import PostgresAdapters
import PostgresNIO
import TestSupport
import Testing

/// The table refuses what the core refuses, even if a future code path forgot to validate.
@Suite struct PostgresSchemaTests {
    @Test(arguments: [
        ("amount_minor", "0"), ("amount_minor", "1000000000000000"), ("currency", "'eur'"),
        ("direction", "'sideways'"), ("kind", "'cheque'"), ("account_id", "' space'"), ("reference", "''"),
        ("account_id", "''"), ("account_id", "'-ACC'"), ("account_id", "repeat('A', 65)"), ("account_id", "'AC C'"),
        ("counterparty_account", "''"), ("counterparty_account", "'.CP'"), ("counterparty_account", "repeat('C', 65)"),
        ("occurred_at", "'1969-12-31 23:59:59+00'"), ("occurred_at", "'infinity'"), ("recorded_at", "'10000-01-01 00:00:00+00'"),
        ("status", "NULL"), ("status", "'pending'"), ("decision", "'\\x7b7d'::bytea"), ("decision_id", "gen_random_uuid()"),
    ])
    func checkConstraintsRejectInvalidRows(column: String, value: String) async throws {
        try await TestDatabase.withDatabase { client, _ in
            var values: [String: String] = [
                "tenant_id": "gen_random_uuid()", "id": "gen_random_uuid()", "account_id": "'ACC'",
                "counterparty_account": "'CP'", "amount_minor": "1", "currency": "'EUR'", "direction": "'debit'",
                "kind": "'cash'", "occurred_at": "now()", "reference": "NULL", "recorded_at": "now()", "status": "'posted'",
            ]
            values[column] = value
            let columns = values.keys.sorted()
            let sql = "INSERT INTO transactions (\(columns.joined(separator: ","))) VALUES (\(columns.map { values[$0]! }.joined(separator: ",")))"
            await #expect(throws: PSQLError.self) {
                try await client.query(PostgresQuery(unsafeSQL: sql), logger: .init(label: "test"))
            }
            let rows = try await TestDatabase.count("transactions", client)
            #expect(rows == 0)
        }
    }

    /// The bounds of the identifier checks (migrations/0010): 64 characters, any of `._:/-` after
    /// an alphanumeric first one.
    @Test func identifierChecksAcceptTheirWholeRange() async throws {
        try await TestDatabase.withDatabase { client, _ in
            try await client.query(
                """
                INSERT INTO transactions (tenant_id, id, account_id, counterparty_account, amount_minor, currency, direction,
                                          kind, occurred_at, recorded_at, status)
                VALUES (gen_random_uuid(), gen_random_uuid(), repeat('A', 64), 'c0._:/-', 1, 'EUR', 'debit', 'cash', now(), now(), 'posted')
                """,
                logger: .init(label: "test")
            )
            #expect(try await TestDatabase.count("transactions", client) == 1)
        }
    }
}

/// Reading is as careful as writing: values the core could not hold are errors, never traps,
/// and database failures are described without the server's message (it can quote row values).
@Suite struct PostgresReadSafetyTests {
    let logger = Logger(label: "test")

    func decode(_ sql: String, _ client: PostgresClient) async throws -> UTCTimestamp? {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(UTCTimestamp.self) { return value }
        return nil
    }

    @Test func timestampsDecodeExactlyAndOutOfRangeOnesAreRefused() async throws {
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let exact = try await decode("SELECT '2026-11-24 09:30:00.123457+00'::timestamptz", client)
            #expect(exact?.rfc3339 == "2026-11-24T09:30:00.123457Z")
            for bad in ["'infinity'", "'-infinity'", "'10000-01-01 00:00:00+00'"] {
                await #expect(throws: (any Error).self) { _ = try await decode("SELECT \(bad)::timestamptz", client) }
            }
        }
    }

    @Test func databaseFailuresNameTheSQLStateNotTheMessage() async throws {
        try await TestDatabase.withDatabase { client, _ in
            _ = try await client.query("DROP TABLE transactions CASCADE", logger: logger)
            let repository = PostgresTransactionRepository(client: client, usage: PoolUsage(connectionsMax: 2), logger: logger)
            let keeper = PostgresRecordKeeper(
                client: client, origins: AuditOrigins(), clock: ManualClock(Fixtures.now), usage: PoolUsage(connectionsMax: 2), logger: logger
            )
            let failure = try await #require(throws: DatabaseFailure.self) {
                try await keeper.commit(recorded(Fixtures.transaction()))
            }
            #expect(failure.sqlState == "42P01")
            #expect(!failure.description.contains("does not exist"), "the server's message stays out")
            let read = try await #require(throws: DatabaseFailure.self) {
                _ = try await repository.transaction(id: TransactionID(UUID()), tenant: Fixtures.tenantA)
            }
            #expect(read.description.contains("SQLSTATE 42P01"))
        }
    }
}
