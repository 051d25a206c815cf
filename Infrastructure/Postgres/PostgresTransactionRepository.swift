import Domain
import Foundation
import Logging
import PostgresNIO

/// `TransactionRepository` on PostgreSQL (table `transactions`, see migrations/0001).
/// Every statement names `tenant_id`; ids are unique across tenants. Rows are written by the
/// record keepers, inside the transaction that appends their audit entries (`insert`).
public struct PostgresTransactionRepository: TransactionRepository {
    let client: PostgresClient
    let usage: PoolUsage
    let logger: Logger

    public init(client: PostgresClient, usage: PoolUsage, logger: Logger) {
        self.client = client
        self.usage = usage
        self.logger = logger
    }

    /// Inserts rows bound as 19 arrays, `$1` to `$19` (`appendRowArrays`), skipping any whose id is
    /// taken, and returns the ids inserted. A taken id is not an error here: the record keepers fail
    /// that change alone, with `TransactionError.duplicateID`. The text and the number of parameters
    /// never change, whatever the number of rows, so the statement is prepared once per connection.
    /// Rows go in in id order, so two batches that share ids wait for each other in the same order
    /// and never deadlock. Counterparty fields go in sealed (migrations/0011), never in plaintext.
    static let insertRowsSQL = """
        INSERT INTO transactions (tenant_id, id, account_id, data_key_id, counterparty_account_ct, counterparty_account_bidx,
                                  counterparty_name_ct, counterparty_name_bidx, amount_minor, currency,
                                  direction, kind, occurred_at, reference, recorded_at, status, decision_id, decision, submitted_by)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::bytea[], $6::int4[], $7::bytea[], $8::int4[],
                             $9::bigint[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::text[], $15::timestamptz[],
                             $16::text[], $17::uuid[], $18::bytea[], $19::uuid[])
            AS u(tenant_id, id, account_id, data_key_id, counterparty_account_ct, counterparty_account_bidx,
                 counterparty_name_ct, counterparty_name_bidx, amount_minor, currency,
                 direction, kind, occurred_at, reference, recorded_at, status, decision_id, decision, submitted_by)
        ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """
    static let rowArrayCount = 19

    /// Binds `rows` as the 19 column arrays of `insertRowsSQL`. Every row is sealed.
    static func appendRowArrays(_ rows: [StoredTransaction], to bindings: inout PostgresBindings) {
        let n = rows.count
        var tenants = PostgresArrayBind.uuids(capacity: n), ids = PostgresArrayBind.uuids(capacity: n)
        var accounts = PostgresArrayBind.texts(capacity: n), keys = PostgresArrayBind.uuids(capacity: n)
        var counterparties = PostgresArrayBind.byteas(capacity: n, bytesEach: 128), counterpartyIndexes = PostgresArrayBind.int4s(capacity: n)
        var names = PostgresArrayBind.byteas(capacity: n, bytesEach: 128), nameIndexes = PostgresArrayBind.int4s(capacity: n)
        var amounts = PostgresArrayBind.int8s(capacity: n), currencies = PostgresArrayBind.texts(capacity: n)
        var directions = PostgresArrayBind.texts(capacity: n), kinds = PostgresArrayBind.texts(capacity: n)
        var occurred = PostgresArrayBind.timestamptzs(capacity: n), references = PostgresArrayBind.texts(capacity: n)
        var recorded = PostgresArrayBind.timestamptzs(capacity: n), statuses = PostgresArrayBind.texts(capacity: n)
        var decisionIDs = PostgresArrayBind.uuids(capacity: n), decisions = PostgresArrayBind.byteas(capacity: n, bytesEach: 1_024)
        var makers = PostgresArrayBind.uuids(capacity: n)
        for t in rows {
            guard case .sealed(let account) = t.counterpartyAccount, let key = t.dataKey else {
                preconditionFailure("only sealed rows are written")
            }
            tenants.append(t.tenantID.rawValue)
            ids.append(t.id.rawValue)
            accounts.append(t.accountID.value)
            keys.append(key.reference.id.rawValue)
            counterparties.append(bytes: account.bytes)
            counterpartyIndexes.append(t.counterpartyAccountIndex.map { Int32(bitPattern: $0) })
            if case .sealed(let name)? = t.counterpartyName { names.append(bytes: name.bytes) } else { names.append(bytes: nil) }
            nameIndexes.append(t.counterpartyNameIndex.map { Int32(bitPattern: $0) })
            amounts.append(t.money.amountMinor)
            currencies.append(t.money.currency.code)
            directions.append(t.direction.rawValue)
            kinds.append(t.kind.rawValue)
            occurred.append(t.occurredAt)
            references.append(t.reference?.value)
            recorded.append(t.recordedAt)
            statuses.append(t.status.rawValue)
            decisionIDs.append(t.decision?.decision.id)
            decisions.append(bytes: t.decision?.canonicalJSON.canonicalBytes)
            makers.append(t.submittedBy?.rawValue)
        }
        for column in [tenants, ids, accounts, keys, counterparties, counterpartyIndexes, names, nameIndexes, amounts, currencies,
                       directions, kinds, occurred, references, recorded, statuses, decisionIDs, decisions, makers] {
            bindings.append(column)
        }
    }

    /// The columns a stored row is read with, its data key's row and its review joined (same tenant).
    static let selectStoredSQL = """
        SELECT t.id, t.tenant_id, t.account_id, t.counterparty_account, t.counterparty_account_ct, t.counterparty_account_bidx,
               t.counterparty_name_ct, t.counterparty_name_bidx, t.amount_minor, t.currency, t.direction, t.kind,
               t.occurred_at, t.reference, t.recorded_at, k.id, k.subject, k.version, k.status, k.kek_version, k.wrapped,
               t.status, t.decision_id, t.decision, t.submitted_by, r.verdict, r.reason, r.decided_by, r.decided_at
        FROM transactions t LEFT JOIN data_keys k ON k.id = t.data_key_id AND k.tenant_id = t.tenant_id
        LEFT JOIN transaction_reviews r ON r.transaction_id = t.id AND r.tenant_id = t.tenant_id
        """

    public func transaction(id: TransactionID, tenant: TenantID) async throws -> StoredTransaction? {
        try await DatabaseFailure.wrapping("read transaction") {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: Self.selectStoredSQL + " WHERE t.tenant_id = $1 AND t.id = $2", binds: {
                            var binds = PostgresBindings(capacity: 2)
                            binds.append(tenant.rawValue)
                            binds.append(id.rawValue)
                            return binds
                        }()),
                        logger: logger
                    )
                    var found: StoredTransaction?
                    for try await row in rows { found = try Self.stored(from: row) }
                    return found
                }
            }
        }
    }

    public func transactions(
        counterpartyAccountIndex index: UInt32, tenant: TenantID, after position: TransactionPosition?, limit: Int
    ) async throws -> [StoredTransaction] {
        try await page("find transactions", where: "t.counterparty_account_bidx = $2", Int32(bitPattern: index),
                       tenant: tenant, after: position, newestFirst: true, limit: limit)
    }

    public func transactions(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction] {
        try await page("list transactions", where: "$2::int4 IS NULL", Int32?.none, tenant: tenant, after: position, newestFirst: true, limit: limit)
    }

    public func awaitingReview(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction] {
        try await page("list reviews", where: "t.status = 'held' AND r.transaction_id IS NULL AND $2::int4 IS NULL", Int32?.none,
                       tenant: tenant, after: position, newestFirst: false, limit: limit)
    }

    /// A keyset page of the tenant's rows matching `condition` (which names `$2`, bound to
    /// `value`): ordered by (recorded_at, id), strictly after `position` in that order.
    private func page(
        _ operation: String, where condition: String, _ value: Int32?, tenant: TenantID, after position: TransactionPosition?,
        newestFirst: Bool, limit: Int
    ) async throws -> [StoredTransaction] {
        precondition((1...1_000).contains(limit), "1 to 1,000 rows")
        let (comparison, order) = newestFirst ? ("<", "DESC") : (">", "ASC")
        return try await DatabaseFailure.wrapping(operation) {
            try await usage.track {
                try await client.scoped(.tenant(tenant), logger: logger) { connection in
                    let rows = try await connection.query(
                        PostgresQuery(
                            unsafeSQL: Self.selectStoredSQL + """
                                 WHERE t.tenant_id = $1 AND \(condition)
                                  AND ($3::timestamptz IS NULL OR (t.recorded_at, t.id) \(comparison) ($3, $4::uuid))
                                ORDER BY t.recorded_at \(order), t.id \(order) LIMIT $5
                                """,
                            binds: {
                                var binds = PostgresBindings(capacity: 5)
                                binds.append(tenant.rawValue)
                                binds.append(value)
                                binds.append(position?.recordedAt)
                                binds.append(position?.id.rawValue)
                                binds.append(Int64(limit))
                                return binds
                            }()
                        ),
                        logger: logger
                    )
                    var found: [StoredTransaction] = []
                    for try await row in rows { found.append(try Self.stored(from: row)) }
                    return found
                }
            }
        }
    }

    /// Records a review inside the keeper's transaction. The insert names its rules (the tenant's
    /// held transaction, not the checker's own); when it inserts nothing, the reason is read
    /// back. A concurrent decision on the same transaction makes this wait for it, then find it.
    static func insert(_ review: Review, on connection: PostgresConnection, logger: Logger) async throws {
        let id = review.transactionID
        let rows = try await connection.query(
            """
            INSERT INTO transaction_reviews (tenant_id, transaction_id, verdict, reason, decided_by, decided_at)
            SELECT t.tenant_id, t.id, \(review.verdict.rawValue), \(review.reason.value), \(review.decidedBy.rawValue), \(review.decidedAt)
            FROM transactions t
            WHERE t.id = \(id.rawValue) AND t.tenant_id = \(review.tenant.rawValue) AND t.status = 'held'
              AND t.submitted_by IS DISTINCT FROM \(review.decidedBy.rawValue)
            ON CONFLICT (transaction_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        )
        var inserted = false
        for try await _ in rows { inserted = true }
        if inserted { return }
        let found = try await connection.query(
            """
            SELECT t.status, t.submitted_by, EXISTS (SELECT 1 FROM transaction_reviews r WHERE r.transaction_id = t.id)
            FROM transactions t WHERE t.id = \(id.rawValue) AND t.tenant_id = \(review.tenant.rawValue)
            """,
            logger: logger
        )
        for try await (status, maker, reviewed) in found.decode((String, UUID?, Bool).self) {
            if reviewed { throw ReviewError.alreadyDecided(id) }
            if status != TransactionStatus.held.rawValue { throw ReviewError.notHeld(id) }
            if maker == review.decidedBy.rawValue { throw ReviewError.makerCannotDecide(id) }
            throw CorruptRow(table: "transaction_reviews", key: id.description)
        }
        throw TransactionError.notFound(id)
    }

    /// Rebuilds a stored row from `selectStoredSQL`'s columns, re-checking every value: a row that
    /// the core would not have accepted is reported as corrupt instead of being served.
    static func stored(from row: PostgresRow) throws -> StoredTransaction {
        let r = row.makeRandomAccess()
        let id = try r[0].decode(UUID.self)
        let corrupt = CorruptRow(table: "transactions", key: id.uuidString.lowercased())
        let tenant = TenantID(try r[1].decode(UUID.self))
        guard let accountID = AccountIdentifier(try r[2].decode(String.self)),
              let currency = Currency(code: try r[9].decode(String.self)),
              let money = Money(amountMinor: try r[8].decode(Int64.self), currency: currency),
              let direction = Transaction.Direction(rawValue: try r[10].decode(String.self)),
              let kind = Transaction.Kind(rawValue: try r[11].decode(String.self))
        else { throw corrupt }
        func sealed(_ column: Int) throws -> SealedField? {
            guard let buffer = try r[column].decode(ByteBuffer?.self) else { return nil }
            do { return try SealedField(bytes: Array(buffer: buffer)) } catch { throw corrupt }
        }
        let account: StoredField
        if let sealedAccount = try sealed(4) {
            account = .sealed(sealedAccount)
        } else if let plaintext = try r[3].decode(String?.self), AccountIdentifier(plaintext) != nil {
            account = .plaintext(plaintext)
        } else {
            throw corrupt
        }
        var reference: Reference?
        if let text = try r[13].decode(String?.self) {
            guard let value = Reference(text) else { throw corrupt }
            reference = value
        }
        var key: DataKeyRecord?
        if let keyID = try r[15].decode(UUID?.self) {
            // The joined key's columns, in `PostgresDataKeyStore.columns` order.
            guard let subject = try r[16].decode(String?.self), let version = try r[17].decode(Int32?.self),
                  let status = try r[18].decode(String?.self), let kekVersion = try r[19].decode(Int32?.self)
            else { throw corrupt }
            key = try PostgresDataKeyStore.record(
                id: keyID, subject: subject, version: version, status: status, kekVersion: kekVersion,
                wrapped: try r[20].decode(ByteBuffer?.self), tenant: tenant
            )
        }
        guard let status = TransactionStatus(rawValue: try r[21].decode(String.self)) else { throw corrupt }
        var decision: DecisionRecord?
        if let bytes = try r[23].decode(ByteBuffer?.self) {
            // Re-read, re-encoded and checked against its row: a record edited behind Custos's back is corrupt.
            guard let record = try? DecisionRecord(stored: Array(buffer: bytes)), record.decision.id == (try r[22].decode(UUID?.self)),
                  TransactionStatus(outcome: record.decision.outcome) == status
            else { throw corrupt }
            decision = record
        }
        var review: Review?
        if let verdictName = try r[25].decode(String?.self) {
            guard status == .held, let verdict = Review.Verdict(rawValue: verdictName),
                  let reason = ReviewReason(try r[26].decode(String.self))
            else { throw corrupt }
            review = Review(
                transactionID: TransactionID(id), tenant: tenant, verdict: verdict, reason: reason,
                decidedBy: ClientID(try r[27].decode(UUID.self)), decidedAt: try r[28].decode(UTCTimestamp.self)
            )
        }
        return StoredTransaction(
            id: TransactionID(id), tenantID: tenant, accountID: accountID, counterpartyAccount: account,
            counterpartyAccountIndex: try r[5].decode(Int32?.self).map { UInt32(bitPattern: $0) },
            counterpartyName: try sealed(6).map { .sealed($0) },
            counterpartyNameIndex: try r[7].decode(Int32?.self).map { UInt32(bitPattern: $0) },
            money: money, direction: direction, kind: kind, occurredAt: try r[12].decode(UTCTimestamp.self),
            reference: reference, recordedAt: try r[14].decode(UTCTimestamp.self), dataKey: key, status: status, decision: decision,
            submittedBy: try r[24].decode(UUID?.self).map(ClientID.init), review: review
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
    /// SQLSTATEs Custos raises on purpose and the domain errors they stand for.
    static func domainError(_ error: PSQLError) -> (any Error)? {
        switch error.serverInfo?[.sqlState] {
        case "CU003": DataKeyError.keyNotActive  // migrations/0011: a row sealed under a key that is not active
        default: nil
        }
    }

    static func mapped(_ error: any Error, operation: String) -> any Error {
        (error as? PSQLError).map { domainError($0) ?? DatabaseFailure(operation: operation, $0) } ?? error
    }

    static func wrapping<Result>(_ operation: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw domainError(error) ?? DatabaseFailure(operation: operation, error)
        }
    }

    public var description: String {
        "database error during \(operation): \(code)"
            + (sqlState.map { ", SQLSTATE \($0)" } ?? "") + (table.map { ", table \($0)" } ?? "")
    }
}

