/// Creates a tenant, audited in the system log as `tenant.created`. Names are unique: a taken
/// name is `AccessError.tenantNameTaken` and nothing is written.
public struct CreateTenant: Sendable {
    private let keeper: any RecordKeeper
    private let clock: any Clock
    private let newID: @Sendable () -> TenantID

    public init(keeper: any RecordKeeper, clock: any Clock, newID: @escaping @Sendable () -> TenantID) {
        self.keeper = keeper
        self.clock = clock
        self.newID = newID
    }

    public func callAsFunction(name: String, context: AuditContext) async throws -> Tenant {
        let tenant = Tenant(id: newID(), name: try TenantName(name), createdAt: clock.now())
        let event = AuditEvent(
            scope: .system, eventType: "tenant.created", context: context, outcome: .success,
            resourceType: "tenant", resourceID: tenant.id.description, details: ["name": .string(tenant.name.value)]
        )
        _ = try await keeper.commit(AuditedChange(writes: [.createTenant(tenant)], events: [event]))
        return tenant
    }
}

/// Registers an API client of an existing tenant with a new secret, which is returned once and
/// never stored: only its hash is. Audited in the tenant's log as `client.registered`, with the
/// scopes and roles, never the secret or its hash.
public struct RegisterClient: Sendable {
    private let directory: any AccessDirectory
    private let keeper: any RecordKeeper
    private let hasher: any SecretHasher
    private let clock: any Clock
    private let newID: @Sendable () -> ClientID

    public init(
        directory: any AccessDirectory, keeper: any RecordKeeper, hasher: any SecretHasher, clock: any Clock,
        newID: @escaping @Sendable () -> ClientID
    ) {
        self.directory = directory
        self.keeper = keeper
        self.hasher = hasher
        self.clock = clock
        self.newID = newID
    }

    /// `scopes` and `roles` as written on the command line: names separated by spaces or commas.
    public static func parse(scopes: String, roles: String) throws(AccessError) -> ([Scope], [ClientRole]) {
        func names(_ text: String) -> [String] {
            text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        var parsedScopes: [Scope] = []
        for name in names(scopes) {
            guard let scope = Scope(rawValue: name) else { throw .invalidScope(name) }
            parsedScopes.append(scope)
        }
        guard !parsedScopes.isEmpty else { throw .noScopes }
        var parsedRoles: [ClientRole] = []
        for name in names(roles) { parsedRoles.append(try ClientRole(name)) }
        guard Set(parsedRoles).count <= APIClient.rolesMax else { throw .tooManyRoles }
        return (parsedScopes, parsedRoles)
    }

    public func callAsFunction(
        tenant: TenantID, scopes: [Scope], roles: [ClientRole], context: AuditContext
    ) async throws -> (client: APIClient, secret: ClientSecret) {
        guard !scopes.isEmpty else { throw AccessError.noScopes }
        guard Set(roles).count <= APIClient.rolesMax else { throw AccessError.tooManyRoles }
        guard try await directory.tenant(tenant) != nil else { throw AccessError.unknownTenant(tenant) }
        let secret = ClientSecret.generate()
        let client = APIClient(
            id: newID(), tenant: tenant, scopes: scopes, roles: roles, secretHash: try hasher.hash(secret.value), createdAt: clock.now()
        )
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "client.registered", context: context, outcome: .success,
            resourceType: "api_client", resourceID: client.id.description,
            details: [
                "scopes": .array(client.scopes.map { .string($0.rawValue) }),
                "roles": .array(client.roles.map { .string($0.value) }),
            ]
        )
        _ = try await keeper.commit(AuditedChange(writes: [.registerClient(client)], events: [event]))
        return (client, secret)
    }
}

/// Revokes a client: from the next request on, its secret and its tokens are refused. Audited in
/// the tenant's log as `client.revoked`. A client is revoked at most once; revoking it again is
/// `AccessError.alreadyRevoked` and writes nothing.
public struct RevokeClient: Sendable {
    private let directory: any AccessDirectory
    private let keeper: any RecordKeeper
    private let clock: any Clock

    public init(directory: any AccessDirectory, keeper: any RecordKeeper, clock: any Clock) {
        self.directory = directory
        self.keeper = keeper
        self.clock = clock
    }

    public func callAsFunction(_ id: ClientID, context: AuditContext) async throws -> APIClient {
        guard let client = try await directory.client(id) else { throw AccessError.unknownClient(id) }
        guard !client.isRevoked else { throw AccessError.alreadyRevoked(id) }
        let at = clock.now()
        let event = AuditEvent(
            scope: .tenant(client.tenant), eventType: "client.revoked", context: context, outcome: .success,
            resourceType: "api_client", resourceID: id.description
        )
        _ = try await keeper.commit(AuditedChange(writes: [.revokeClient(id, at: at)], events: [event]))
        return client.revoked(at: at)
    }
}
