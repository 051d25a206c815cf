import Domain
import Foundation
import HTTPInterface
import Logging

/// Settings read from the environment (docs/configuration.md lists them). Flags, where a
/// command has them, override these. Every value is range-checked; a bad one stops start-up
/// with one line naming the variable, never echoing a secret.
public struct Configuration: Sendable {
    /// What the application connects as: in production a role that may only read and insert
    /// audit rows (`custos_app`, docs/operations.md), never the schema's owner.
    public var databaseURL: String?
    /// What migrations run as (the schema's owner); unset: `databaseURL`.
    public var migrationDatabaseURL: String?
    public var httpHost = "127.0.0.1"
    public var httpPort = 8080
    public var bodyBytesMax = HTTPDependencies.bodyBytesMaxDefault
    public var databaseConnectionsMax = 20
    public var migrationsDirectory = "migrations"
    public var stateDirectory = ".custos"
    public var logLevel = Logger.Level.info
    public var logFormat = LogFormat.json
    public var environment = Environment.development
    /// The first part of every audit log's origin line (docs/audit-log.md §2). Fixed for the life of a deployment.
    public var auditOriginPrefix = AuditOrigins.defaultPrefix
    /// The audit root key file (64 hex digits). Unset: `<state dir>/audit-root.key`, created on
    /// first use in development; production requires it.
    public var auditKeyFile: String?
    /// The field-encryption root key (docs/encryption.md §3.1): a key file (64 hex digits, mode
    /// 0600), or the key itself in an environment variable, as secrets managers inject it. Unset:
    /// the documented development key, which production refuses.
    public var rootKeyFile: String?
    public var rootKeySecret: Secret?
    /// How often a server asks the database which policy bundle is active (docs/policies.md).
    public var policyCheckSeconds = 5
    /// The bundle folder `custos policy` commands read by default.
    public var policiesDirectory = "policies"
    /// Access tokens (docs/api-security.md): `iss` and `aud` of the tokens issued and accepted,
    /// their lifetime, and the version of the signing key (derived from the audit root key).
    /// Version v signs; v − 1 is published too, so that tokens it signed stay valid after a rotation.
    public var tokenIssuer = "custos"
    public var tokenAudience = "custos-api"
    public var tokenLifetimeSeconds: Int64 = IssueAccessToken.lifetimeSecondsDefault
    public var tokenKeyVersion: UInt32 = 1
    /// Requests a client may make on `/v1`, per server: a steady rate and a burst.
    public var rateLimitPerSecond = 50
    public var rateLimitBurst = 100
    /// How long a client's `Idempotency-Key` is remembered (docs/api-security.md): at least 24 hours.
    public var idempotencyRetentionHours = 24
    /// An external OpenID Connect issuer whose access tokens are accepted too (docs/api-security.md):
    /// all three of issuer, audience and JWKS file, or none.
    public var oidcIssuer: String?
    public var oidcAudience: String?
    public var oidcJWKSFile: String?
    public var oidcTenantClaim = ExternalIssuer.tenantClaimDefault
    /// TLS on the listener (docs/deployment.md): the PEM certificate chain and its private key,
    /// both or neither; and a PEM file of CA certificates that client certificates must chain
    /// to (mTLS), only with the other two. Unset: plain HTTP, for loopback behind a proxy.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    public var tlsClientCAFile: String?
    /// The `max-age` of `Strict-Transport-Security`, sent only when serving TLS.
    public var hstsMaxAgeSeconds = 31_536_000

    /// A value that must never be printed: its description is fixed.
    public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        public let value: String
        public init(_ value: String) { self.value = value }
        public var description: String { "<redacted>" }
        public var debugDescription: String { "<redacted>" }
    }

    public enum LogFormat: String, Sendable { case json, text }
    /// `production` refuses development conveniences: a missing DATABASE_URL is an error there,
    /// never a reason to start a local cluster.
    public enum Environment: String, Sendable { case development, production }

    public struct Invalid: Error, CustomStringConvertible {
        public let variable: String
        public let reason: String
        public var description: String { "\(variable) \(reason)" }
    }

    public static let bodyBytesRange = 1_024...(64 << 20)
    public static let connectionsRange = 1...500
    public static let policyCheckRange = 0...3_600
    public static let tokenLifetimeRange = 60...Int(IssueAccessToken.lifetimeSecondsMax)
    public static let tokenKeyVersionRange = 1...1_000_000
    public static let rateLimitRange = 1...100_000
    public static let idempotencyRetentionRange = 24...720
    /// Up to two years; 0 tells browsers to forget an earlier policy.
    public static let hstsMaxAgeRange = 0...63_072_000

    public init() {}

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        var c = Configuration()
        c.databaseURL = env["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        c.migrationDatabaseURL = env["CUSTOS_MIGRATION_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let host = env["CUSTOS_HTTP_HOST"], !host.isEmpty { c.httpHost = host }
        c.httpPort = try integer(env, "CUSTOS_HTTP_PORT", in: 1...65_535) ?? c.httpPort
        c.bodyBytesMax = try integer(env, "CUSTOS_BODY_BYTES_MAX", in: bodyBytesRange) ?? c.bodyBytesMax
        c.databaseConnectionsMax = try integer(env, "CUSTOS_DB_CONNECTIONS_MAX", in: connectionsRange)
            ?? c.databaseConnectionsMax
        if let path = env["CUSTOS_MIGRATIONS_DIR"], !path.isEmpty { c.migrationsDirectory = path }
        if let path = env["CUSTOS_POLICIES_DIR"], !path.isEmpty { c.policiesDirectory = path }
        c.policyCheckSeconds = try integer(env, "CUSTOS_POLICY_CHECK_SECONDS", in: policyCheckRange) ?? c.policyCheckSeconds
        if let path = env["CUSTOS_STATE_DIR"], !path.isEmpty { c.stateDirectory = path }
        c.tokenIssuer = try word(env, "CUSTOS_TOKEN_ISSUER") ?? c.tokenIssuer
        c.tokenAudience = try word(env, "CUSTOS_TOKEN_AUDIENCE") ?? c.tokenAudience
        c.tokenLifetimeSeconds = try integer(env, "CUSTOS_TOKEN_LIFETIME_SECONDS", in: tokenLifetimeRange).map(Int64.init) ?? c.tokenLifetimeSeconds
        c.tokenKeyVersion = try integer(env, "CUSTOS_TOKEN_KEY_VERSION", in: tokenKeyVersionRange).map(UInt32.init) ?? c.tokenKeyVersion
        c.rateLimitPerSecond = try integer(env, "CUSTOS_RATE_LIMIT_PER_SECOND", in: rateLimitRange) ?? c.rateLimitPerSecond
        c.rateLimitBurst = try integer(env, "CUSTOS_RATE_LIMIT_BURST", in: rateLimitRange) ?? c.rateLimitBurst
        c.idempotencyRetentionHours = try integer(env, "CUSTOS_IDEMPOTENCY_RETENTION_HOURS", in: idempotencyRetentionRange)
            ?? c.idempotencyRetentionHours
        c.oidcIssuer = try word(env, "CUSTOS_OIDC_ISSUER")
        c.oidcAudience = try word(env, "CUSTOS_OIDC_AUDIENCE")
        if let path = env["CUSTOS_OIDC_JWKS_FILE"], !path.isEmpty { c.oidcJWKSFile = path }
        c.oidcTenantClaim = try word(env, "CUSTOS_OIDC_TENANT_CLAIM", bytesMax: 100) ?? c.oidcTenantClaim
        let oidc = [c.oidcIssuer, c.oidcAudience, c.oidcJWKSFile].filter { $0 != nil }.count
        guard oidc == 0 || oidc == 3 else {
            throw Invalid(variable: "CUSTOS_OIDC_ISSUER", reason: ", CUSTOS_OIDC_AUDIENCE and CUSTOS_OIDC_JWKS_FILE must be set together or not at all")
        }
        if c.oidcIssuer != nil, c.oidcIssuer == c.tokenIssuer {
            throw Invalid(variable: "CUSTOS_OIDC_ISSUER", reason: "must differ from CUSTOS_TOKEN_ISSUER (Custos's own issuer)")
        }
        c.tlsCertificateFile = env["CUSTOS_TLS_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        c.tlsKeyFile = env["CUSTOS_TLS_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        c.tlsClientCAFile = env["CUSTOS_TLS_CLIENT_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        c.hstsMaxAgeSeconds = try integer(env, "CUSTOS_HSTS_MAX_AGE_SECONDS", in: hstsMaxAgeRange) ?? c.hstsMaxAgeSeconds
        if let raw = env["CUSTOS_LOG_LEVEL"], !raw.isEmpty {
            guard let level = Logger.Level(rawValue: raw) else {
                throw Invalid(variable: "CUSTOS_LOG_LEVEL", reason: "must be one of trace, debug, info, notice, warning, error, critical")
            }
            c.logLevel = level
        }
        if let raw = env["CUSTOS_ENVIRONMENT"], !raw.isEmpty {
            guard let environment = Environment(rawValue: raw) else {
                throw Invalid(variable: "CUSTOS_ENVIRONMENT", reason: "must be development or production")
            }
            c.environment = environment
        }
        if let raw = env["CUSTOS_AUDIT_ORIGIN_PREFIX"], !raw.isEmpty {
            // The rule every origin follows (a C2SP key name), checked on an origin made from it.
            guard raw.utf8.count <= 200, !raw.hasSuffix("/"), NoteVerifierKey.isValidName(raw + "/system")
            else {
                throw Invalid(variable: "CUSTOS_AUDIT_ORIGIN_PREFIX",
                              reason: "must be at most 200 bytes, without spaces, '+' or a trailing '/'")
            }
            c.auditOriginPrefix = raw
        }
        if let path = env["CUSTOS_AUDIT_KEY_FILE"], !path.isEmpty { c.auditKeyFile = path }
        if let path = env["CUSTOS_ROOT_KEY_FILE"], !path.isEmpty { c.rootKeyFile = path }
        if let key = env["CUSTOS_ROOT_KEY"], !key.isEmpty { c.rootKeySecret = Secret(key) }
        if c.rootKeyFile != nil && c.rootKeySecret != nil {
            throw Invalid(variable: "CUSTOS_ROOT_KEY", reason: "and CUSTOS_ROOT_KEY_FILE are both set: set one")
        }
        if let raw = env["CUSTOS_LOG_FORMAT"], !raw.isEmpty {
            guard let format = LogFormat(rawValue: raw) else {
                throw Invalid(variable: "CUSTOS_LOG_FORMAT", reason: "must be json or text")
            }
            c.logFormat = format
        }
        return c
    }

    /// A value without spaces, at most `bytesMax` bytes (an issuer, an audience, a claim name); nil when unset or empty.
    private static func word(_ env: [String: String], _ name: String, bytesMax: Int = AccessTokenClaims.stringBytesMax) throws -> String? {
        guard let raw = env[name], !raw.isEmpty else { return nil }
        guard raw.utf8.count <= bytesMax, !raw.contains(where: \.isWhitespace) else {
            throw Invalid(variable: name, reason: "must be at most \(bytesMax) bytes, without spaces")
        }
        return raw
    }

    private static func integer(_ env: [String: String], _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = env[name], !raw.isEmpty else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw Invalid(variable: name, reason: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    public var migrationsURL: URL { URL(fileURLWithPath: migrationsDirectory) }
    public var auditOrigins: AuditOrigins { AuditOrigins(prefix: auditOriginPrefix) }
    public var stateURL: URL { URL(fileURLWithPath: stateDirectory) }
}
