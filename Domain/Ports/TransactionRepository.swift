/// Where recorded transactions are kept. Every read is scoped by tenant: a transaction of
/// another tenant is indistinguishable from one that does not exist.
public protocol TransactionRepository: Sendable {
    /// Stores a new transaction. Throws `TransactionError.duplicateID` if the id is taken;
    /// never overwrites. Either the whole transaction is stored or nothing is.
    func add(_ transaction: Transaction) async throws

    /// The tenant's transaction with this id, or `nil`.
    func transaction(id: TransactionID, tenant: TenantID) async throws -> Transaction?
}
