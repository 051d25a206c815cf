import Domain
import Foundation
import Logging
import PostgresNIO

/// `TransactionRepository` on PostgreSQL (table `transactions`, see migrations/0001).
/// Every statement names `tenant_id`; ids are unique across tenants. Rows are written by the
/// record keepers, inside the transaction that appends their audit entries (`insert`).
public struct PostgresTransactionRepository: TransactionRepository {
    /// PostgreSQL's SQLSTATE for unique_violation.
    static let uniqueViolation = "23505"

    private let client: PostgresClient
    private let usage: PoolUsage
    private let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    /// The columns of an inserted row, in the order `appendValues` binds them.
    static let insertColumns = """
        tenant_id, id, account_id, counterparty_account, amount_minor, currency, \
        direction, kind, occurred_at, reference, recorded_at
        """
    static let insertColumnCount = 11

    /// Binds one row's values in `insertColumns` order.
    static func appendValues(of t: Transaction, to binds: inout PostgresBindings) {
        binds.append(t.tenantID.rawValue)
        binds.append(t.id.rawValue)
        binds.append(t.accountID.value)
        binds.append(t.counterpartyAccount.value)
        binds.append(t.money.amountMinor)
        binds.append(t.money.currency.code)
        binds.append(t.direction.rawValue)
        binds.append(t.kind.rawValue)
        binds.append(t.occurredAt)
        binds.append(t.reference?.value)
        binds.append(t.recordedAt)
    }

    /// `INSERT … VALUES ($1…), ($12…), …` for `rows`, with their values bound.
    static func insertQuery(_ rows: [Transaction], suffix: String = "") -> PostgresQuery {
        var binds = PostgresBindings(capacity: rows.count * insertColumnCount)
        var tuples: [String] = []
        for (offset, row) in rows.enumerated() {
            let base = offset * insertColumnCount
            tuples.append("(" + (1...insertColumnCount).map { "$\(base + $0)" }.joined(separator: ",") + ")")
            appendValues(of: row, to: &binds)
        }
        let sql = "INSERT INTO transactions (\(insertColumns)) VALUES \(tuples.joined(separator: ","))" + suffix
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// Inserts one transaction row on `connection` (inside the caller's transaction, if any).
    /// A taken id becomes `TransactionError.duplicateID`; other failures a `DatabaseFailure`.
    static func insert(_ t: Transaction, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(insertQuery([t]), logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == Self.uniqueViolation {
            throw TransactionError.duplicateID(t.id)
        } catch let error as PSQLError {
            throw DatabaseFailure(operation: "insert transaction", error)
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
