import CSodium
import Domain

/// Signs access tokens with an Ed25519 key (`TokenSigner`), held as `SodiumNoteSigner` holds its
/// key: in `sodium_malloc` memory, wiped when the signer goes away.
public final class SodiumTokenSigner: TokenSigner {
    public let key: TokenVerificationKey
    private let signer: SodiumNoteSigner

    /// From a 32-byte Ed25519 seed.
    public init(seed: [UInt8]) throws {
        signer = try SodiumNoteSigner(name: "custos-access-tokens", seed: seed)
        key = TokenVerificationKey(publicKey: signer.verifierKey.publicKey)
    }

    public func sign(_ message: [UInt8]) -> [UInt8] { signer.sign(message) }
}

extension SodiumAuditKeyring {
    /// The access-token signing key at `version`, derived like the log keys (no private key is
    /// stored): its seed is BLAKE2b-256 keyed with the root key over
    /// "custos access token signing key v1\n" ‖ version. Rotating is moving to the next version;
    /// the previous one keeps verifying until the tokens it signed have expired.
    public func tokenSigner(version: UInt32) throws -> SodiumTokenSigner {
        precondition(version >= 1, "key versions count from 1")
        return try withDerivedSeed(message: Array("custos access token signing key v1\n\(version)".utf8)) { seed in
            try SodiumTokenSigner(seed: seed)
        }
    }
}
