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

    /// Stores a new row; only the in-memory record keeper writes, together with the audit entry.
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
