/// Where recorded transactions are read from. Every read is scoped by tenant: a transaction of
/// another tenant is indistinguishable from one that does not exist. Writes go through a
/// `RecordKeeper` only, so that no transaction is ever stored without its audit entry.
public protocol TransactionRepository: Sendable {
    /// The tenant's transaction with this id, as stored (fields sealed), with its data key's row
    /// as it is now; or `nil`.
    func transaction(id: TransactionID, tenant: TenantID) async throws -> StoredTransaction?
    /// The tenant's transactions whose counterparty-account blind index is `index`, newest first,
    /// at most `limit` (candidates: a truncated index matches other values too).
    func transactions(counterpartyAccountIndex index: UInt32, tenant: TenantID, limit: Int) async throws -> [StoredTransaction]
}
