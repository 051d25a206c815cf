import CryptoAdapters
import Domain
import Foundation

/// The external OpenID Connect issuer of the configuration, with its keys read from the JWKS
/// file (at most `ExternalIssuer.jwksBytesMax` bytes) and loaded into a verifier: nil when none
/// is configured. A file that is missing, too large, or holds no usable key stops start-up
/// with one line naming the variable.
enum ExternalIssuerSetup {
    static func load(_ configuration: Configuration) throws -> (ExternalIssuer, SwiftCryptoExternalVerifier)? {
        guard let issuer = configuration.oidcIssuer, let audience = configuration.oidcAudience, let path = configuration.oidcJWKSFile else {
            return nil
        }
        func invalid(_ reason: String) -> Configuration.Invalid {
            Configuration.Invalid(variable: "CUSTOS_OIDC_JWKS_FILE", reason: reason)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw invalid("names a file that cannot be read: \(path)") }
        defer { try? handle.close() }
        let bytes = try handle.read(upToCount: ExternalIssuer.jwksBytesMax + 1) ?? Data()
        guard bytes.count <= ExternalIssuer.jwksBytesMax else { throw invalid("is over \(ExternalIssuer.jwksBytesMax) bytes") }
        let keys: [ExternalKey]
        do {
            keys = try ExternalIssuer.keys(fromJWKS: Array(bytes))
        } catch {
            throw invalid("is not a usable JWKS: \(error.reason)")
        }
        do {
            return (ExternalIssuer(issuer: issuer, audience: audience, tenantClaim: configuration.oidcTenantClaim, keys: keys),
                    try SwiftCryptoExternalVerifier(keys: keys))
        } catch let unusable as SwiftCryptoExternalVerifier.UnusableKey {
            throw invalid(unusable.description)
        }
    }
}
