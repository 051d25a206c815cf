import CSodium

/// The libsodium runtime. `initialize()` must succeed before any other libsodium call;
/// the composition root calls it once at start-up and refuses to run without it.
public enum Sodium {
    public enum Failure: Error, CustomStringConvertible {
        case initializationFailed
        public var description: String { "libsodium could not be initialised (sodium_init failed)" }
    }

    /// Idempotent and thread-safe (libsodium guarantees both). Returns the library's version string.
    @discardableResult
    public static func initialize() throws -> String {
        guard sodium_init() >= 0 else { throw Failure.initializationFailed }
        return String(cString: sodium_version_string())
    }

    /// SHA-256 through libsodium: the independent implementation the core's own SHA-256 is checked against.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let status = crypto_hash_sha256(&digest, bytes, UInt64(bytes.count))
        precondition(status == 0, "crypto_hash_sha256 failed")
        return digest
    }
}
