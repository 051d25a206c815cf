import Domain
import Foundation
import Logging
import PostgresNIO

/// `TransactionRepository` on PostgreSQL (table `transactions`, see migrations/0001).
/// Every statement names `tenant_id`; ids are unique across tenants. Rows are written by the
/// record keepers, inside the transaction that appends their audit entries (`insert`).
public struct PostgresTransactionRepository: TransactionRepository {
    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    /// Inserts rows bound as 11 arrays, `$1` to `$11` (`appendRowArrays`), skipping any whose id is
    /// taken, and returns the ids inserted. A taken id is not an error here: the record keepers fail
    /// that change alone, with `TransactionError.duplicateID`. The text and the number of parameters
    /// never change, whatever the number of rows, so the statement is prepared once per connection.
    /// Rows go in in id order, so two batches that share ids wait for each other in the same order
    /// and never deadlock.
    static let insertRowsSQL = """
        INSERT INTO transactions (tenant_id, id, account_id, counterparty_account, amount_minor, currency,
                                  direction, kind, occurred_at, reference, recorded_at)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                             $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::timestamptz[])
            AS u(tenant_id, id, account_id, counterparty_account, amount_minor, currency,
                 direction, kind, occurred_at, reference, recorded_at)
        ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """

    /// Binds `rows` as the 11 column arrays of `insertRowsSQL`.
    static func appendRowArrays(_ rows: [Transaction], to bindings: inout PostgresBindings) {
        let n = rows.count
        var tenants = PostgresArrayBind.uuids(capacity: n), ids = PostgresArrayBind.uuids(capacity: n)
        var accounts = PostgresArrayBind.texts(capacity: n), counterparties = PostgresArrayBind.texts(capacity: n)
        var amounts = PostgresArrayBind.int8s(capacity: n), currencies = PostgresArrayBind.texts(capacity: n)
        var directions = PostgresArrayBind.texts(capacity: n), kinds = PostgresArrayBind.texts(capacity: n)
        var occurred = PostgresArrayBind.timestamptzs(capacity: n), references = PostgresArrayBind.texts(capacity: n)
        var recorded = PostgresArrayBind.timestamptzs(capacity: n)
        for t in rows {
            tenants.append(t.tenantID.rawValue)
            ids.append(t.id.rawValue)
            accounts.append(t.accountID.value)
            counterparties.append(t.counterpartyAccount.value)
            amounts.append(t.money.amountMinor)
            currencies.append(t.money.currency.code)
            directions.append(t.direction.rawValue)
            kinds.append(t.kind.rawValue)
            occurred.append(t.occurredAt)
            references.append(t.reference?.value)
            recorded.append(t.recordedAt)
        }
        for column in [tenants, ids, accounts, counterparties, amounts, currencies, directions, kinds, occurred, references, recorded] {
            bindings.append(column)
        }
    }

    public func transaction(id: TransactionID, tenant: TenantID) async throws -> Transaction? {
        try await DatabaseFailure.wrapping("read transaction") {
            try await read(id: id, tenant: tenant)
        }
    }

    private func read(id: TransactionID, tenant: TenantID) async throws -> Transaction? {
        try await usage.track {
            let rows = try await client.query(
                """
                SELECT id, tenant_id, account_id, counterparty_account, amount_minor, currency,
                       direction, kind, occurred_at, reference, recorded_at
                FROM transactions WHERE tenant_id = \(tenant.rawValue) AND id = \(id.rawValue)
                """,
                logger: logger
            )
            for try await row in rows.decode(
                (UUID, UUID, String, String, Int64, String, String, String, UTCTimestamp, String?, UTCTimestamp).self
            ) {
                return try Self.transaction(from: row)
            }
            return nil
        }
    }

    /// Rebuilds the entity, re-checking every value: a row that the core would not have
    /// accepted is reported as corrupt instead of being served.
    static func transaction(
        from row: (UUID, UUID, String, String, Int64, String, String, String, UTCTimestamp, String?, UTCTimestamp)
    ) throws -> Transaction {
        let (id, tenant, account, counterparty, amount, currencyCode, direction, kind, occurredAt, reference, recordedAt) = row
        guard let accountID = AccountIdentifier(account),
              let counterpartyAccount = AccountIdentifier(counterparty),
              let currency = Currency(code: currencyCode),
              let money = Money(amountMinor: amount, currency: currency),
              let direction = Transaction.Direction(rawValue: direction),
              let kind = Transaction.Kind(rawValue: kind)
        else { throw CorruptRow(table: "transactions", key: id.uuidString.lowercased()) }
        var checkedReference: Reference?
        if let reference {
            guard let value = Reference(reference) else { throw CorruptRow(table: "transactions", key: id.uuidString.lowercased()) }
            checkedReference = value
        }
        return Transaction(
            id: TransactionID(id), tenantID: TenantID(tenant), accountID: accountID,
            counterpartyAccount: counterpartyAccount, money: money, direction: direction, kind: kind,
            occurredAt: occurredAt, reference: checkedReference, recordedAt: recordedAt
        )
    }
}

/// A stored row fails the core's own rules: storage was changed behind Custos's back.
public struct CorruptRow: Error, CustomStringConvertible {
    public let table: String
    public let key: String
    public var description: String { "row \(key) of \(table) violates the domain's rules" }
}

/// A database error, described with what helps an operator and nothing that may hold data:
/// the SQLSTATE, the table and the client-side error code, never the server's message or detail
/// (which can quote the values of a row).
public struct DatabaseFailure: Error, CustomStringConvertible {
    public let operation: String
    public let sqlState: String?
    public let table: String?
    public let code: String

    init(operation: String, _ error: PSQLError) {
        self.operation = operation
        self.sqlState = error.serverInfo?[.sqlState]
        self.table = error.serverInfo?[.tableName]
        self.code = "\(error.code)"
    }

    /// `error` as a `DatabaseFailure` when it is PostgreSQL's, else unchanged.
    static func mapped(_ error: any Error, operation: String) -> any Error {
        (error as? PSQLError).map { DatabaseFailure(operation: operation, $0) } ?? error
    }

    static func wrapping<Result>(_ operation: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw DatabaseFailure(operation: operation, error)
        }
    }

    public var description: String {
        "database error during \(operation): \(code)"
            + (sqlState.map { ", SQLSTATE \($0)" } ?? "") + (table.map { ", table \($0)" } ?? "")
    }
}

