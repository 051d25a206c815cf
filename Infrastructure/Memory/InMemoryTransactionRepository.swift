import Domain
import Synchronization

/// A `TransactionRepository` held in process memory, for fast Domain and HTTP tests.
/// It honours the same contract as the PostgreSQL adapter (see the contract suite).
public final class InMemoryTransactionRepository: TransactionRepository {
    private struct Key: Hashable {
        let tenant: TenantID
        let id: TransactionID
    }

    private let rows = Mutex<[Key: Transaction]>([:])
    /// Ids are unique across tenants, as in PostgreSQL.
    private let ids = Mutex<Set<TransactionID>>([])

    public init() {}

    public func add(_ transaction: Transaction) async throws {
        try insert(transaction)
    }

    /// The synchronous insert behind `add`, for the in-memory record keeper.
    func insert(_ transaction: Transaction) throws {
        let key = Key(tenant: transaction.tenantID, id: transaction.id)
        let inserted = ids.withLock { $0.insert(transaction.id).inserted }
        guard inserted else { throw TransactionError.duplicateID(transaction.id) }
        rows.withLock { $0[key] = transaction }
    }

    func contains(id: TransactionID) -> Bool {
        ids.withLock { $0.contains(id) }
    }

    public func transaction(id: TransactionID, tenant: TenantID) async throws -> Transaction? {
        rows.withLock { $0[Key(tenant: tenant, id: id)] }
    }

    /// How many transactions are held, across tenants: lets tests prove that nothing was written.
    public var count: Int { rows.withLock { $0.count } }
}
