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
    /// Reviews by transaction, kept beside the rows (as in PostgreSQL's table of their own).
    private let reviews = Mutex<[TransactionID: Review]>([:])
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
        return try await withCurrentKey(withReview(row))
    }

    public func transactions(
        counterpartyAccountIndex index: UInt32, tenant: TenantID, after position: TransactionPosition?, limit: Int
    ) async throws -> [StoredTransaction] {
        try await page(tenant: tenant, after: position, newestFirst: true, limit: limit) { $0.counterpartyAccountIndex == index }
    }

    public func transactions(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction] {
        try await page(tenant: tenant, after: position, newestFirst: true, limit: limit) { _ in true }
    }

    public func awaitingReview(tenant: TenantID, after position: TransactionPosition?, limit: Int) async throws -> [StoredTransaction] {
        try await page(tenant: tenant, after: position, newestFirst: false, limit: limit) { $0.status == .held && $0.review == nil }
    }

    /// As PostgreSQL orders them: by (recorded_at, id), ids compared as their canonical text.
    private func page(
        tenant: TenantID, after position: TransactionPosition?, newestFirst: Bool, limit: Int,
        _ matches: (StoredTransaction) -> Bool
    ) async throws -> [StoredTransaction] {
        func key(_ at: UTCTimestamp, _ id: TransactionID) -> (Int64, String) { (at.microsecondsSinceEpoch, id.description) }
        let bound = position.map { key($0.recordedAt, $0.id) }
        let all = rows.withLock { $0.values.filter { $0.tenantID == tenant } }.map(withReview)
        let selected = all.filter { row in
            guard matches(row) else { return false }
            guard let bound else { return true }
            return newestFirst ? key(row.recordedAt, row.id) < bound : key(row.recordedAt, row.id) > bound
        }
        .sorted { newestFirst ? key($0.recordedAt, $0.id) > key($1.recordedAt, $1.id) : key($0.recordedAt, $0.id) < key($1.recordedAt, $1.id) }
        .prefix(limit)
        var found: [StoredTransaction] = []
        for row in selected { found.append(try await withCurrentKey(row)) }
        return found
    }

    /// Throws what the PostgreSQL keeper throws for a review it cannot record.
    func checkReview(_ review: Review) throws {
        let id = review.transactionID
        guard let row = rows.withLock({ $0[Key(tenant: review.tenant, id: id)] }) else { throw TransactionError.notFound(id) }
        if reviews.withLock({ $0[id] != nil }) { throw ReviewError.alreadyDecided(id) }
        if row.status != .held { throw ReviewError.notHeld(id) }
        if row.submittedBy == review.decidedBy { throw ReviewError.makerCannotDecide(id) }
    }

    func addReview(_ review: Review) {
        reviews.withLock { $0[review.transactionID] = review }
    }

    private func withReview(_ row: StoredTransaction) -> StoredTransaction {
        guard let review = reviews.withLock({ $0[row.id] }) else { return row }
        return row.with(review: review)
    }

    private func withCurrentKey(_ row: StoredTransaction) async throws -> StoredTransaction {
        guard let key = row.dataKey, let current = try await keys.key(key.reference.id, tenant: row.tenantID) else { return row }
        return row.with(dataKey: current)
    }

    /// How many transactions are held, across tenants: lets tests prove that nothing was written.
    public var count: Int { rows.withLock { $0.count } }
}

/// History features over the rows held here, with the PostgreSQL adapter's semantics (the
/// `TransactionHistory` contract suite runs against both).
extension InMemoryTransactionRepository: TransactionHistory {
    public func facts(_ query: HistoryQuery) async throws -> HistoryFacts {
        let t = query.occurredAt.microsecondsSinceEpoch
        let account = rows.withLock { rows in
            rows.values.filter { $0.tenantID == query.tenant && $0.accountID == query.account }.map(withReview)
                .filter { $0.currentStatus != .declined }
        }
        let inWeek = account.filter { $0.occurredAt <= query.occurredAt && $0.occurredAt.microsecondsSinceEpoch > t - HistoryQuery.weekMicroseconds }
        func within(_ window: Int64) -> [StoredTransaction] { inWeek.filter { $0.occurredAt.microsecondsSinceEpoch > t - window } }
        func sum(_ rows: [StoredTransaction]) -> Int64 {
            var total: Int64 = 0
            for row in rows where row.money.currency == query.currency {
                total = min(HistoryWindows.sumMinorMax, total + row.money.amountMinor)
            }
            return total
        }
        let day = within(HistoryQuery.dayMicroseconds), hour = within(HistoryQuery.hourMicroseconds)
        let candidates = account
            .filter { $0.counterpartyAccountIndex == query.counterpartyAccountIndex && $0.occurredAt <= query.occurredAt }
            .sorted { ($0.occurredAt, $0.id.description) > ($1.occurredAt, $1.id.description) }
            .prefix(HistoryFacts.counterpartyCandidatesMax)
        var opened: [StoredTransaction] = []
        for row in candidates { opened.append(try await withCurrentKey(row)) }
        let windows = HistoryWindows(
            count1h: hour.count, count24h: day.count, count7d: inWeek.count,
            sum1hMinor: sum(hour), sum24hMinor: sum(day), sum7dMinor: sum(inWeek), cash24hMinor: sum(day.filter { $0.kind == .cash })
        )
        return HistoryFacts(windows: windows, firstOccurredAt: account.map(\.occurredAt).min(), counterpartyCandidates: opened)
    }
}
