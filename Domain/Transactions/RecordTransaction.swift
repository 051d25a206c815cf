/// Validates a draft and records it as a new transaction of the tenant.
/// Nothing is written unless every field is valid.
public struct RecordTransaction: Sendable {
    private let repository: any TransactionRepository
    private let clock: any Clock
    private let ids: any IDGenerator

    public init(repository: any TransactionRepository, clock: any Clock, ids: any IDGenerator) {
        self.repository = repository
        self.clock = clock
        self.ids = ids
    }

    /// Throws `ValidationFailed` listing every invalid field, or whatever the repository throws.
    public func callAsFunction(_ draft: TransactionDraft, tenant: TenantID) async throws -> Transaction {
        let transaction = try TransactionValidator.validate(
            draft, id: ids.newTransactionID(), tenant: tenant, now: clock.now()
        )
        try await repository.add(transaction)
        return transaction
    }
}

/// Reads one of the tenant's transactions.
public struct GetTransaction: Sendable {
    private let repository: any TransactionRepository

    public init(repository: any TransactionRepository) {
        self.repository = repository
    }

    /// Throws `TransactionError.notFound` when the tenant has no transaction with this id.
    public func callAsFunction(id: TransactionID, tenant: TenantID) async throws -> Transaction {
        guard let transaction = try await repository.transaction(id: id, tenant: tenant) else {
            throw TransactionError.notFound(id)
        }
        precondition(transaction.id == id && transaction.tenantID == tenant, "repository returned a foreign row")
        return transaction
    }
}
