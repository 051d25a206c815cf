import Domain
import Foundation
import PostgresAdapters
import PostgresNIO
import TestSupport
import Testing

/// The table refuses what the core refuses, even if a future code path forgot to validate.
@Suite struct PostgresSchemaTests {
    @Test(arguments: [
        ("amount_minor", "0"), ("amount_minor", "1000000000000000"), ("currency", "'eur'"),
        ("direction", "'sideways'"), ("kind", "'cheque'"), ("account_id", "' space'"), ("reference", "''"),
    ])
    func checkConstraintsRejectInvalidRows(column: String, value: String) async throws {
        try await TestDatabase.withDatabase { client, _ in
            var values: [String: String] = [
                "tenant_id": "gen_random_uuid()", "id": "gen_random_uuid()", "account_id": "'ACC'",
                "counterparty_account": "'CP'", "amount_minor": "1", "currency": "'EUR'", "direction": "'debit'",
                "kind": "'cash'", "occurred_at": "now()", "reference": "NULL", "recorded_at": "now()",
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
}
