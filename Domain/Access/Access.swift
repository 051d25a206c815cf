import Foundation

public enum ClientTag {}
/// An API client: the `sub` of the tokens it is issued.
public typealias ClientID = Identifier<ClientTag>

/// What a client may do, route by route (docs/api-security.md). The raw values are what tokens
/// and `custos clients create --scopes` carry.
public enum Scope: String, Sendable, Hashable, CaseIterable, Comparable {
    case transactionsWrite = "transactions:write"
    case transactionsRead = "transactions:read"
    case reviewsDecide = "reviews:decide"
    case auditRead = "audit:read"
    case patientsRead = "patients:read"
    case patientsWrite = "patients:write"
    case importsWrite = "imports:write"
    case admin

    public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }
}

/// A tenant's display name: 1 to `bytesMax` bytes of letters, digits, spaces and `-_.&'`, no
/// leading or trailing space. Unique in a deployment, compared exactly.
public struct TenantName: Hashable, Sendable, CustomStringConvertible {
    public static let bytesMax = 100
    public let value: String

    public init(_ value: String) throws(AccessError) {
        let allowed = value.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil || " -_.&'".unicodeScalars.contains(scalar)
        }
        guard !value.isEmpty, value.utf8.count <= Self.bytesMax, allowed, value.first != " ", value.last != " " else {
            throw .invalidTenantName
        }
        self.value = value
    }

    public var description: String { value }
}

/// A client's role: a lower-case name (`[a-z][a-z0-9_-]*`, at most `bytesMax` bytes), for
/// authorisation rules beyond scopes (maker-checker).
public struct ClientRole: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let bytesMax = 64
    public let value: String

    public init(_ value: String) throws(AccessError) {
        let bytes = Array(value.utf8)
        guard let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), bytes.count <= Self.bytesMax,
              bytes.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                  || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { throw .invalidRole }
        self.value = value
    }

    public static func < (a: ClientRole, b: ClientRole) -> Bool { a.value < b.value }
    public var description: String { value }
}

public struct Tenant: Hashable, Sendable {
    public let id: TenantID
    public let name: TenantName
    public let createdAt: UTCTimestamp

    public init(id: TenantID, name: TenantName, createdAt: UTCTimestamp) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// An API client of one tenant. Only a hash of its secret is kept (`SecretHasher`); the secret
/// itself is shown once, when the client is registered.
public struct APIClient: Hashable, Sendable {
    /// Roles a client may hold at most.
    public static let rolesMax = 16
    /// The longest secret hash stored (libsodium's `crypto_pwhash_STRBYTES` is 128, with its NUL).
    public static let secretHashBytesMax = 128

    public let id: ClientID
    public let tenant: TenantID
    public let scopes: [Scope]
    public let roles: [ClientRole]
    /// The secret's hash in its self-describing string form (PHC: `$argon2id$v=19$m=…`).
    public let secretHash: String
    public let createdAt: UTCTimestamp
    public let revokedAt: UTCTimestamp?

    /// `scopes` and `roles` are kept sorted and without repeats.
    public init(
        id: ClientID, tenant: TenantID, scopes: [Scope], roles: [ClientRole], secretHash: String, createdAt: UTCTimestamp,
        revokedAt: UTCTimestamp? = nil
    ) {
        let roles = Array(Set(roles)).sorted()
        precondition(!scopes.isEmpty, "a client holds at least one scope")
        precondition(roles.count <= Self.rolesMax, "at most \(Self.rolesMax) distinct roles")
        precondition(!secretHash.isEmpty && secretHash.utf8.count <= Self.secretHashBytesMax, "a secret hash is a short string")
        self.id = id
        self.tenant = tenant
        self.scopes = Array(Set(scopes)).sorted()
        self.roles = roles
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }

    /// This client, revoked at `time`.
    public func revoked(at time: UTCTimestamp) -> APIClient {
        APIClient(id: id, tenant: tenant, scopes: scopes, roles: roles, secretHash: secretHash, createdAt: createdAt, revokedAt: time)
    }
}

/// A client secret, as shown once: `cs_` and 43 base64url characters (32 random bytes).
public struct ClientSecret: Sendable, CustomStringConvertible {
    public static let randomBytes = 32
    public static let prefix = "cs_"
    public let value: String

    /// A new secret from the system's cryptographically secure generator.
    public static func generate() -> ClientSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return ClientSecret(value: prefix + Base64URL.encode(bytes))
    }

    public init(value: String) { self.value = value }
    /// Never the secret itself, so that it cannot end up in a log by accident.
    public var description: String { "ClientSecret(redacted)" }
}

public enum AccessError: DomainError, Equatable, CustomStringConvertible {
    case invalidTenantName
    case invalidRole
    case invalidScope(String)
    case noScopes
    case tooManyRoles
    case tenantNameTaken
    case unknownTenant(TenantID)
    case unknownClient(ClientID)
    case alreadyRevoked(ClientID)

    public var slug: String {
        switch self {
        case .invalidTenantName, .invalidRole, .invalidScope, .noScopes, .tooManyRoles: "validation-failed"
        case .tenantNameTaken: "tenant-name-taken"
        case .unknownTenant: "tenant-not-found"
        case .unknownClient: "client-not-found"
        case .alreadyRevoked: "client-already-revoked"
        }
    }

    public var description: String {
        switch self {
        case .invalidTenantName:
            "a tenant name is 1 to \(TenantName.bytesMax) bytes of letters, digits, spaces and -_.&', without a leading or trailing space"
        case .invalidRole: "a role is a lower-case name ([a-z][a-z0-9_-]*, at most \(ClientRole.bytesMax) bytes)"
        case .invalidScope(let scope):
            "unknown scope '\(scope.prefix(64))'; scopes are " + Scope.allCases.map(\.rawValue).joined(separator: ", ")
        case .noScopes: "a client needs at least one scope"
        case .tooManyRoles: "a client has at most \(APIClient.rolesMax) roles"
        case .tenantNameTaken: "a tenant of that name exists"
        case .unknownTenant(let id): "no tenant \(id)"
        case .unknownClient(let id): "no client \(id)"
        case .alreadyRevoked(let id): "client \(id) is already revoked"
        }
    }
}
