import Domain
import Synchronization

/// A `DataKeyStore` in process memory, for Domain and HTTP tests; the same contract as the
/// PostgreSQL adapter. Keys are added by the in-memory record keeper (`BusinessWrite.addDataKey`).
public final class InMemoryDataKeyStore: DataKeyStore {
    private struct State {
        var keys: [DataKeyID: DataKeyRecord] = [:]
        var kekVersions: [TenantID: UInt32] = [:]
    }

    private let state = Mutex(State())

    /// A store holding `keys` already (fixtures), each tenant's KEK at version 1.
    public init(keys: [DataKeyRecord] = []) {
        state.withLock { state in
            for key in keys {
                state.keys[key.reference.id] = key
                state.kekVersions[key.subject.tenant] = 1
            }
        }
    }

    public func currentKEKVersion(tenant: TenantID) async throws -> UInt32 {
        state.withLock { state in
            if let version = state.kekVersions[tenant] { return version }
            state.kekVersions[tenant] = 1
            return 1
        }
    }

    public func activeKey(of subject: DataSubject) async throws -> DataKeyRecord? {
        state.withLock { $0.keys.values.first { $0.subject == subject && $0.status == .active } }
    }

    public func newestVersion(of subject: DataSubject) async throws -> UInt32? {
        state.withLock { $0.keys.values.filter { $0.subject == subject }.map(\.reference.version).max() }
    }

    public func key(_ id: DataKeyID, tenant: TenantID) async throws -> DataKeyRecord? {
        state.withLock { $0.keys[id].flatMap { $0.subject.tenant == tenant ? $0 : nil } }
    }

    /// Checks that `record` may be added: refused when its subject has an active key or its
    /// version is taken.
    func checkAdd(_ record: DataKeyRecord) throws(DataKeyError) {
        let taken = state.withLock { state in
            state.keys[record.reference.id] != nil || state.keys.values.contains {
                $0.subject == record.subject && ($0.status == .active || $0.reference.version == record.reference.version)
            }
        }
        if taken { throw .keyExists }
    }

    func storedKey(_ id: DataKeyID) -> DataKeyRecord? {
        state.withLock { $0.keys[id] }
    }

    func add(_ record: DataKeyRecord) {
        state.withLock { $0.keys[record.reference.id] = record }
    }
}
