import Domain
import Synchronization

/// A `DataKeyStore` that remembers each subject's active key for a short while, in front of
/// another store: a recorded transaction then needs no key lookup of its own. Safe because the
/// database refuses a row sealed under a key that is no longer active (migrations/0011, SQLSTATE
/// CU003, `DataKeyError.keyNotActive`), and the writer then calls `forgetActiveKey` and looks
/// again. What it remembers is a wrapped key (no key material). Bounded: when full, it forgets
/// everything and starts over.
public final class CachedDataKeyStore: DataKeyStore {
    public static let entriesMax = 100_000
    public static let rememberedForDefault = Duration.seconds(30)

    private let base: any DataKeyStore
    private let rememberedFor: Duration
    private let entriesMax: Int
    private let remembered = Mutex<[DataSubject: (key: DataKeyRecord, at: ContinuousClock.Instant)]>([:])

    public init(_ base: any DataKeyStore, rememberedFor: Duration = CachedDataKeyStore.rememberedForDefault, entriesMax: Int = CachedDataKeyStore.entriesMax) {
        precondition(entriesMax >= 1 && rememberedFor > .zero, "remember at least one key, for some time")
        self.base = base
        self.rememberedFor = rememberedFor
        self.entriesMax = entriesMax
    }

    public func activeKey(of subject: DataSubject) async throws -> DataKeyRecord? {
        let now = ContinuousClock.now
        if let hit = remembered.withLock({ $0[subject] }), now - hit.at < rememberedFor { return hit.key }
        guard let key = try await base.activeKey(of: subject) else { return nil }
        remembered.withLock { entries in
            if entries.count >= entriesMax { entries.removeAll(keepingCapacity: true) }
            entries[subject] = (key, now)
        }
        return key
    }

    public func forgetActiveKey(of subject: DataSubject) {
        _ = remembered.withLock { $0.removeValue(forKey: subject) }
        base.forgetActiveKey(of: subject)
    }

    public func currentKEKVersion(tenant: TenantID) async throws -> UInt32 {
        try await base.currentKEKVersion(tenant: tenant)
    }

    public func newestVersion(of subject: DataSubject) async throws -> UInt32? {
        try await base.newestVersion(of: subject)
    }

    public func key(_ id: DataKeyID, tenant: TenantID) async throws -> DataKeyRecord? {
        try await base.key(id, tenant: tenant)
    }
}
