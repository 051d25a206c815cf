import CryptoAdapters
import Domain
import FileAdapters
import Foundation

/// The external OpenID Connect issuer of the configuration, with its keys read from the JWKS
/// file (at most `ExternalIssuer.jwksBytesMax` bytes) and loaded into a verifier: nil when none
/// is configured. A file that is missing, too large, or holds no usable key stops start-up
/// with one line naming the variable; so does a key whose id is one of Custos's own (`ownKeyIDs`):
/// a token naming it is verified as Custos's own, so that key could never be used.
enum ExternalIssuerSetup {
    static func load(_ configuration: Configuration, ownKeyIDs: Set<String> = []) throws -> (ExternalIssuer, SwiftCryptoExternalVerifier)? {
        guard let issuer = configuration.oidcIssuer, let audience = configuration.oidcAudience, let path = configuration.oidcJWKSFile else {
            return nil
        }
        func invalid(_ reason: String) -> Configuration.Invalid {
            Configuration.Invalid(variable: "CUSTOS_OIDC_JWKS_FILE", reason: reason)
        }
        let bytes: [UInt8]
        do {
            bytes = try readRegularFile(atPath: path, bytesMax: ExternalIssuer.jwksBytesMax)
        } catch {
            throw invalid("(\(path)) \(error.description)")
        }
        let keys: [ExternalKey]
        do {
            keys = try ExternalIssuer.keys(fromJWKS: bytes)
        } catch {
            throw invalid("is not a usable JWKS: \(error.reason)")
        }
        if let clash = keys.first(where: { ownKeyIDs.contains($0.keyID) }) {
            throw invalid("has the kid \(clash.keyID), which is one of Custos's own token keys")
        }
        do {
            return (ExternalIssuer(issuer: issuer, audience: audience, tenantClaim: configuration.oidcTenantClaim, keys: keys),
                    try SwiftCryptoExternalVerifier(keys: keys))
        } catch let unusable as SwiftCryptoExternalVerifier.UnusableKey {
            throw invalid(unusable.description)
        }
    }
}
