import Domain
import Synchronization

/// `IdempotencyStore` in process memory, written by `InMemoryRecordKeeper` under its commit lock.
public final class InMemoryIdempotencyStore: IdempotencyStore {
    private struct Owner: Hashable {
        let tenant: TenantID
        let client: ClientID
        let key: IdempotencyKey
    }

    private let outcomes = Mutex<[Owner: IdempotentOutcome]>([:])

    public init() {}

    public func outcome(of key: IdempotencyKey, client: ClientID, tenant: TenantID) async throws -> IdempotentOutcome? {
        outcomes.withLock { $0[Owner(tenant: tenant, client: client, key: key)] }
    }

    public func prune(createdBefore cutoff: UTCTimestamp, limit: Int) async throws -> Int {
        outcomes.withLock { all in
            let old = all.filter { $0.value.createdAt < cutoff }.keys.prefix(limit)
            for owner in old { all[owner] = nil }
            return old.count
        }
    }

    /// Throws `IdempotencyError.keyTaken` when the client has the key already.
    func check(_ outcome: IdempotentOutcome) throws {
        let taken = outcomes.withLock { $0[Self.owner(of: outcome)] != nil }
        if taken { throw IdempotencyError.keyTaken }
    }

    func apply(_ outcome: IdempotentOutcome) {
        outcomes.withLock { $0[Self.owner(of: outcome)] = outcome }
    }

    private static func owner(of outcome: IdempotentOutcome) -> Owner {
        Owner(tenant: outcome.request.tenant, client: outcome.request.client, key: outcome.request.key)
    }
}
