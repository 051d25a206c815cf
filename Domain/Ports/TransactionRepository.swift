/// Where recorded transactions are read from. Every read is scoped by tenant: a transaction of
/// another tenant is indistinguishable from one that does not exist. Writes go through a
/// `RecordKeeper` only, so that no transaction is ever stored without its audit entry. Rows are
/// read with their review, when they have one.
public protocol TransactionRepository: Sendable {
    /// The tenant's transaction with this id, as stored (fields sealed), with its data key's row
    /// as it is now; or `nil`.
    func transaction(id: TransactionID, tenant: TenantID) async throws -> StoredTransaction?
    /// The tenant's transactions whose counterparty-account blind index is `index`, newest first,
    /// strictly after `position` in that order when given, at most `limit` (candidates: a truncated
    /// index matches other values too).
    func transactions(
        counterpartyAccountIndex index: UInt32, tenant: TenantID, after position: TransactionPosition?, limit: Int
    ) async throws -> [StoredTransaction]
    /// The tenant's transactions, newest first (`recordedAt`, then id, descending), strictly after
    /// `position` in that order when given, at most `limit`.
    func transactions(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction]
    /// The tenant's held transactions that have no review yet, oldest first (`recordedAt`, then id,
    /// ascending), strictly after `position` in that order when given, at most `limit`.
    func awaitingReview(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction]
}

/// Where a row stands in a list: the keyset that pages resume from (`PageCursor`).
public struct TransactionPosition: Hashable, Sendable {
    public let recordedAt: UTCTimestamp
    public let id: TransactionID

    public init(recordedAt: UTCTimestamp, id: TransactionID) {
        self.recordedAt = recordedAt
        self.id = id
    }

    public init(_ row: StoredTransaction) {
        self.init(recordedAt: row.recordedAt, id: row.id)
    }
}
