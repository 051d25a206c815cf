/// Port: where tenants and their API clients are kept. Reads only; tenants and clients are
/// added and revoked through a `RecordKeeper` (`BusinessWrite.createTenant`, `.registerClient`,
/// `.revokeClient`), so that each change is in the audit log exactly when it is in the tables.
public protocol AccessDirectory: Sendable {
    func tenant(_ id: TenantID) async throws -> Tenant?
    /// The tenants in order of creation, at most `limit`.
    func tenants(limit: Int) async throws -> [Tenant]
    /// The client, revoked or not; nil when there is no such client.
    func client(_ id: ClientID) async throws -> APIClient?
    /// The client when it is one of `tenant`'s (read in that tenant's scope only), revoked or not.
    func client(_ id: ClientID, of tenant: TenantID) async throws -> APIClient?
}

/// Port: one-way hashing of client secrets for storage, with a memory-hard function (Argon2id).
/// `hash` gives a self-describing string (algorithm, parameters, salt and hash); `verify`
/// compares in constant time, and is false for a malformed or foreign hash. A verification costs
/// tens of milliseconds and megabytes of memory, so `verify` runs off the caller's executor with
/// a bound on how many run and wait at once: beyond it, it throws `SecretHasherBusy` at once.
public protocol SecretHasher: Sendable {
    func hash(_ secret: String) throws -> String
    func verify(_ secret: String, against hash: String) async throws(SecretHasherBusy) -> Bool
}

/// Too many secret verifications are running and waiting; try again shortly.
public struct SecretHasherBusy: DomainError, Equatable, CustomStringConvertible {
    public init() {}
    public var slug: String { "busy" }
    public var description: String { "too many client authentications in progress" }
}
