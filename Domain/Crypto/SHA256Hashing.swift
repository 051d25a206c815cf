/// Port: SHA-256 of a one-byte prefix followed by a message, the shape of both RFC 6962 hashes
/// (leaf: prefix 0x00 and the entry; node: prefix 0x01 and two child hashes).
///
/// The core's own `PortableSHA256` is the default everywhere. An adapter may use the machine's
/// SHA instructions instead (the command line injects one into `AuditLogVerifier`); it must give
/// the same digests, which a test checks.
public protocol SHA256Hashing: Sendable {
    /// SHA-256(`prefix` ‖ `message`).
    func digest(prefix: UInt8, _ message: UnsafeRawBufferPointer) -> SHA256Digest
}

/// `SHA256Hashing` with the core's pure-Swift SHA-256.
public struct PortableSHA256: SHA256Hashing {
    public init() {}

    public func digest(prefix: UInt8, _ message: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        withUnsafeBytes(of: prefix) { hasher.update($0) }
        hasher.update(message)
        return hasher.finalizeDigest()
    }
}
