import CSodium
import Domain

/// Ed25519 verification (RFC 8032) with libsodium's `crypto_sign_verify_detached`.
public struct SodiumSignatureVerifier: SignatureVerifier {
    public init() throws {
        try Sodium.initialize()
    }

    public func isValidEd25519Signature(_ signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == Int(crypto_sign_BYTES), publicKey.count == Int(crypto_sign_PUBLICKEYBYTES) else {
            return false
        }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}

/// Signs C2SP notes with an Ed25519 key held in libsodium-allocated memory: locked against
/// swapping where the system allows, and wiped when the signer goes away. The secret key is
/// never exposed through this type's interface.
public final class SodiumNoteSigner: Sendable {
    public let verifierKey: NoteVerifierKey
    /// `crypto_sign` secret key (seed ‖ public key), in `sodium_malloc` memory.
    private nonisolated(unsafe) let secretKey: UnsafeMutableRawPointer

    public enum Failure: Error, CustomStringConvertible {
        case badSeed, outOfMemory
        public var description: String {
            switch self {
            case .badSeed: "an Ed25519 seed is 32 bytes"
            case .outOfMemory: "sodium_malloc failed"
            }
        }
    }

    /// Derives the key pair from a 32-byte seed (deterministic, as RFC 8032 keys are).
    public init(name: String, seed: [UInt8]) throws {
        try Sodium.initialize()
        guard seed.count == Int(crypto_sign_SEEDBYTES) else { throw Failure.badSeed }
        guard let secret = sodium_malloc(Int(crypto_sign_SECRETKEYBYTES)) else { throw Failure.outOfMemory }
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        let status = crypto_sign_seed_keypair(&publicKey, secret.assumingMemoryBound(to: UInt8.self), seed)
        precondition(status == 0, "crypto_sign_seed_keypair failed")
        do {
            verifierKey = try NoteVerifierKey(name: name, publicKey: publicKey)
        } catch {
            sodium_free(secret)
            throw error
        }
        secretKey = secret
    }

    deinit {
        sodium_free(secretKey)  // wipes before freeing
    }

    /// The detached Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        let status = crypto_sign_detached(
            &signature, nil, message, UInt64(message.count), secretKey.assumingMemoryBound(to: UInt8.self)
        )
        precondition(status == 0, "crypto_sign_detached failed")
        return signature
    }

    /// A new note over `text` carrying only this key's signature.
    public func signedNote(text: String) throws(NoteError) -> SignedNote {
        let signature = SignedNote.Signature(
            keyName: verifierKey.name, keyID: verifierKey.keyID, signature: sign(Array(text.utf8))
        )
        return try SignedNote(text: text, signatures: [signature])
    }
}
