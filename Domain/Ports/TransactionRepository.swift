/// Where recorded transactions are read from. Every read is scoped by tenant: a transaction of
/// another tenant is indistinguishable from one that does not exist. Writes go through a
/// `RecordKeeper` only, so that no transaction is ever stored without its audit entry.
public protocol TransactionRepository: Sendable {
    /// The tenant's transaction with this id, or `nil`.
    func transaction(id: TransactionID, tenant: TenantID) async throws -> Transaction?
}
