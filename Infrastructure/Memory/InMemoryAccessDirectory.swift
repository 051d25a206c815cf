import Domain
import Synchronization

/// Tenants and API clients in process memory; written by `InMemoryRecordKeeper` together with
/// each change's audit entry, as the PostgreSQL adapter is by its keeper. Checks refuse what the
/// database's constraints refuse (a taken name, an unknown tenant, a second revocation).
public final class InMemoryAccessDirectory: AccessDirectory {
    private struct State {
        var tenants: [Tenant] = []
        var clients: [ClientID: APIClient] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A directory that holds these tenants and clients from the start, unaudited: for tests and
    /// fixtures only (the running system adds them through a record keeper).
    public init(seeding tenants: [Tenant], clients: [APIClient]) {
        state.withLock { state in
            state.tenants = tenants
            for client in clients { state.clients[client.id] = client }
        }
    }

    func check(_ write: BusinessWrite) throws {
        try state.withLock { state in
            switch write {
            case .createTenant(let tenant):
                guard !state.tenants.contains(where: { $0.name.value.utf8.elementsEqual(tenant.name.value.utf8) }) else {
                    throw AccessError.tenantNameTaken
                }
                precondition(!state.tenants.contains { $0.id == tenant.id }, "tenant ids are unique")
            case .registerClient(let client):
                guard state.tenants.contains(where: { $0.id == client.tenant }) else { throw AccessError.unknownTenant(client.tenant) }
                precondition(state.clients[client.id] == nil, "client ids are unique")
            case .revokeClient(let id, _):
                guard let client = state.clients[id] else { throw AccessError.unknownClient(id) }
                guard !client.isRevoked else { throw AccessError.alreadyRevoked(id) }
            case .insertTransaction, .addDataKey, .activatePolicyBundle, .rememberOutcome, .decideReview:
                break
            }
        }
    }

    /// Applies a write that `check` accepted under the same commit lock.
    func apply(_ write: BusinessWrite) {
        state.withLock { state in
            switch write {
            case .createTenant(let tenant): state.tenants.append(tenant)
            case .registerClient(let client): state.clients[client.id] = client
            case .revokeClient(let id, let at):
                guard let client = state.clients[id] else { preconditionFailure("checked before") }
                state.clients[id] = client.revoked(at: at)
            case .insertTransaction, .addDataKey, .activatePolicyBundle, .rememberOutcome, .decideReview:
                break
            }
        }
    }

    public func tenant(_ id: TenantID) async throws -> Tenant? {
        state.withLock { $0.tenants.first { $0.id == id } }
    }

    public func tenants(limit: Int) async throws -> [Tenant] {
        state.withLock { Array($0.tenants.prefix(max(0, limit))) }
    }

    public func client(_ id: ClientID) async throws -> APIClient? {
        state.withLock { $0.clients[id] }
    }

    public func client(_ id: ClientID, of tenant: TenantID) async throws -> APIClient? {
        state.withLock { $0.clients[id].flatMap { $0.tenant == tenant ? $0 : nil } }
    }
}
