import Domain
import Foundation
import Logging
import PostgresNIO

/// `TransactionHistory` on PostgreSQL (declined rows, and held ones a reviewer rejected, do not count): one aggregate over the account's rows of the last 7 days
/// (index `transactions_tenant_account_occurred_idx`), and the counterparty candidates by blind
/// index (`transactions_counterparty_account_bidx_idx`). Sums saturate at 2^53 − 1 inside the
/// database, so a long history can neither overflow nor leave canonical JSON's range.
extension PostgresTransactionRepository: TransactionHistory {
    static let historySQL = """
        SELECT count(*) FILTER (WHERE occurred_at > $5),
               count(*) FILTER (WHERE occurred_at > $6),
               count(*),
               LEAST(coalesce(sum(amount_minor) FILTER (WHERE currency = $3 AND occurred_at > $5), 0), 9007199254740991)::bigint,
               LEAST(coalesce(sum(amount_minor) FILTER (WHERE currency = $3 AND occurred_at > $6), 0), 9007199254740991)::bigint,
               LEAST(coalesce(sum(amount_minor) FILTER (WHERE currency = $3), 0), 9007199254740991)::bigint,
               LEAST(coalesce(sum(amount_minor) FILTER (WHERE currency = $3 AND kind = 'cash' AND occurred_at > $6), 0),
                     9007199254740991)::bigint,
               -- ORDER BY … LIMIT 1, not min(): min() over more than one table is not turned into an
               -- index probe, and would read the account's whole history.
               (SELECT f.occurred_at FROM transactions f
                WHERE f.tenant_id = $1 AND f.account_id = $2 AND f.status <> 'declined'
                  AND NOT EXISTS (SELECT 1 FROM transaction_reviews r WHERE r.transaction_id = f.id AND r.verdict = 'reject')
                ORDER BY f.occurred_at LIMIT 1)
        FROM transactions t
        WHERE tenant_id = $1 AND account_id = $2 AND status <> 'declined' AND occurred_at > $7 AND occurred_at <= $4
          AND NOT EXISTS (SELECT 1 FROM transaction_reviews r WHERE r.transaction_id = t.id AND r.verdict = 'reject')
        """

    /// Both reads in one transaction in the tenant's scope: one pooled connection, one BEGIN.
    public func facts(_ query: HistoryQuery) async throws -> HistoryFacts {
        try await DatabaseFailure.wrapping("read transaction history") {
            try await usage.track {
                try await client.scoped(.tenant(query.tenant), logger: logger) { connection in
                    let (counts, first) = try await Self.windows(query, on: connection, logger: logger)
                    let windows = HistoryWindows(
                        count1h: Int(counts[0]), count24h: Int(counts[1]), count7d: Int(counts[2]),
                        sum1hMinor: counts[3], sum24hMinor: counts[4], sum7dMinor: counts[5], cash24hMinor: counts[6]
                    )
                    let candidates = try await Self.counterpartyCandidates(query, on: connection, logger: logger)
                    return HistoryFacts(windows: windows, firstOccurredAt: first, counterpartyCandidates: candidates)
                }
            }
        }
    }

    private static func windows(
        _ query: HistoryQuery, on connection: PostgresConnection, logger: Logger
    ) async throws -> ([Int64], UTCTimestamp?) {
        let t = query.occurredAt
        var binds = PostgresBindings(capacity: 7)
        binds.append(query.tenant.rawValue)
        binds.append(query.account.value)
        binds.append(query.currency.code)
        binds.append(t)
        binds.append(t.adding(microseconds: -HistoryQuery.hourMicroseconds))
        binds.append(t.adding(microseconds: -HistoryQuery.dayMicroseconds))
        binds.append(t.adding(microseconds: -HistoryQuery.weekMicroseconds))
        let rows = try await connection.query(PostgresQuery(unsafeSQL: historySQL, binds: binds), logger: logger)
        var found: ([Int64], UTCTimestamp?)?
        for try await row in rows {
            let r = try row.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, UTCTimestamp?).self)
            found = ([r.0, r.1, r.2, r.3, r.4, r.5, r.6], r.7)
        }
        guard let found, found.0.allSatisfy({ $0 >= 0 && $0 <= HistoryWindows.sumMinorMax }), found.0[0] <= found.0[1], found.0[1] <= found.0[2]
        else { throw CorruptRow(table: "transactions", key: "history of an account") }
        return found
    }

    private static func counterpartyCandidates(
        _ query: HistoryQuery, on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredTransaction] {
        var binds = PostgresBindings(capacity: 5)
        binds.append(query.tenant.rawValue)
        binds.append(query.account.value)
        binds.append(Int32(bitPattern: query.counterpartyAccountIndex))
        binds.append(query.occurredAt)
        binds.append(Int64(HistoryFacts.counterpartyCandidatesMax))
        let sql = selectStoredSQL + """
             WHERE t.tenant_id = $1 AND t.account_id = $2 AND t.counterparty_account_bidx = $3 AND t.occurred_at <= $4
              AND t.status <> 'declined' AND r.verdict IS DISTINCT FROM 'reject'
            ORDER BY t.occurred_at DESC, t.id DESC LIMIT $5
            """
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        var found: [StoredTransaction] = []
        for try await row in rows { found.append(try stored(from: row)) }
        return found
    }
}
