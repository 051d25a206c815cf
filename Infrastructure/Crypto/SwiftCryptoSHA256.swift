import Crypto
import Domain

/// `SHA256Hashing` with swift-crypto's SHA-256 (BoringSSL on Linux), which uses the machine's SHA
/// instructions where it has them. Gives the same digests as the core's `PortableSHA256`
/// (cross-checked by a test); only faster.
public struct SwiftCryptoSHA256: SHA256Hashing {
    public init() {}

    public func digest(prefix: UInt8, _ message: UnsafeRawBufferPointer) -> Domain.SHA256Digest {
        var hasher = Crypto.SHA256()
        withUnsafeBytes(of: prefix) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: message)
        return hasher.finalize().withUnsafeBytes { digest in
            precondition(digest.count == Domain.SHA256Digest.byteCount, "a SHA-256 digest is 32 bytes")
            return Domain.SHA256Digest(loadingFrom: digest.baseAddress!)
        }
    }
}
