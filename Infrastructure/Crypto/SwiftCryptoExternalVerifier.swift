import Crypto
import Domain
import Foundation
import _CryptoExtras

/// `ExternalSignatureVerifier` on swift-crypto (BoringSSL): RS256 (PKCS #1 v1.5, SHA-256, keys
/// of 2,048 bits or more), ES256 (P-256, r ‖ s) and EdDSA (Ed25519). Keys are built once, when
/// the verifier is made, so a key that does not load is an error at start-up, not at the first
/// request.
public struct SwiftCryptoExternalVerifier: ExternalSignatureVerifier {
    private enum Loaded: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    public struct UnusableKey: Error, CustomStringConvertible {
        public let keyID: String
        public let reason: String
        public var description: String { "the key \(keyID) cannot be used: \(reason)" }
    }

    private let keys: [String: Loaded]

    /// Throws `UnusableKey` for a key swift-crypto refuses (an RSA key under 2,048 bits, a point
    /// that is not on P-256).
    public init(keys: [ExternalKey]) throws {
        var loaded: [String: Loaded] = [:]
        for key in keys {
            do {
                switch key.material {
                case .rsa(let modulus, let exponent):
                    loaded[key.keyID] = .rsa(try _RSA.Signing.PublicKey(n: modulus, e: exponent))
                case .p256(let x, let y):
                    loaded[key.keyID] = .p256(try P256.Signing.PublicKey(rawRepresentation: x + y))
                case .ed25519(let bytes):
                    loaded[key.keyID] = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: bytes))
                }
            } catch {
                throw UnusableKey(keyID: key.keyID, reason: key.material.isRSA ? "an RSA key of at least 2,048 bits is required" : "not a valid public key")
            }
        }
        self.keys = loaded
    }

    public func isValidSignature(_ signature: [UInt8], of message: [UInt8], key: ExternalKey) -> Bool {
        switch (keys[key.keyID], key.algorithm) {
        case (.rsa(let publicKey)?, .rs256):
            return publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: message, padding: .insecurePKCS1v1_5)
        case (.p256(let publicKey)?, .es256):
            guard signature.count == 64, let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return publicKey.isValidSignature(parsed, for: message)
        case (.ed25519(let publicKey)?, .edDSA):
            return signature.count == 64 && publicKey.isValidSignature(signature, for: message)
        default:
            return false
        }
    }
}

extension ExternalKey.Material {
    fileprivate var isRSA: Bool {
        if case .rsa = self { return true }
        return false
    }
}
