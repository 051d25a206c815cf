import Domain
import Synchronization

/// A `TransactionRepository` held in process memory, for fast Domain and HTTP tests.
/// It honours the same contract as the PostgreSQL adapter (see the contract suite).
public final class InMemoryTransactionRepository: TransactionRepository {
    private struct Key: Hashable {
        let tenant: TenantID
        let id: TransactionID
    }

    private let rows = Mutex<[Key: StoredTransaction]>([:])
    /// Ids are unique across tenants, as in PostgreSQL.
    private let ids = Mutex<Set<TransactionID>>([])
    /// Rows are read with their data key's row as it is now, as the PostgreSQL adapter joins it.
    public let keys: InMemoryDataKeyStore

    public init(keys: InMemoryDataKeyStore = InMemoryDataKeyStore()) {
        self.keys = keys
    }

    /// Stores a new row; only the in-memory record keeper writes, together with the audit entry.
    func insert(_ transaction: StoredTransaction) throws {
        let key = Key(tenant: transaction.tenantID, id: transaction.id)
        let inserted = ids.withLock { $0.insert(transaction.id).inserted }
        guard inserted else { throw TransactionError.duplicateID(transaction.id) }
        rows.withLock { $0[key] = transaction }
    }

    func contains(id: TransactionID) -> Bool {
        ids.withLock { $0.contains(id) }
    }

    public func transaction(id: TransactionID, tenant: TenantID) async throws -> StoredTransaction? {
        guard let row = rows.withLock({ $0[Key(tenant: tenant, id: id)] }) else { return nil }
        return try await withCurrentKey(row)
    }

    public func transactions(counterpartyAccountIndex index: UInt32, tenant: TenantID, limit: Int) async throws -> [StoredTransaction] {
        let matching = rows.withLock { rows in
            rows.values.filter { $0.tenantID == tenant && $0.counterpartyAccountIndex == index }
                .sorted { ($0.recordedAt, $0.id.description) > ($1.recordedAt, $1.id.description) }
                .prefix(limit)
        }
        var found: [StoredTransaction] = []
        for row in matching { found.append(try await withCurrentKey(row)) }
        return found
    }

    private func withCurrentKey(_ row: StoredTransaction) async throws -> StoredTransaction {
        guard let key = row.dataKey, let current = try await keys.key(key.reference.id, tenant: row.tenantID) else { return row }
        return StoredTransaction(
            id: row.id, tenantID: row.tenantID, accountID: row.accountID, counterpartyAccount: row.counterpartyAccount,
            counterpartyAccountIndex: row.counterpartyAccountIndex, counterpartyName: row.counterpartyName,
            counterpartyNameIndex: row.counterpartyNameIndex, money: row.money, direction: row.direction, kind: row.kind,
            occurredAt: row.occurredAt, reference: row.reference, recordedAt: row.recordedAt, dataKey: current
        )
    }

    /// How many transactions are held, across tenants: lets tests prove that nothing was written.
    public var count: Int { rows.withLock { $0.count } }
}
