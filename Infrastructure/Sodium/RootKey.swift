import CSodium
import Domain

/// The 32-byte root of field encryption (docs/encryption.md §3.1): every tenant's key-encryption
/// keys and blind-index keys are derived from it, so it is the one secret to provision. It sits
/// in `sodium_malloc` memory (guarded, locked against swapping where RLIMIT_MEMLOCK allows, wiped
/// with `sodium_memzero` on release). Its bytes never leave this module: no description, error
/// or log line shows them; `fingerprint` names the key instead.
public final class RootKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let byteCount = 32
    /// The largest key file read (64 hex digits and a newline fit many times over).
    static let fileBytesMax = 256

    /// The documented development root key: the 32 ASCII bytes "custos development root key v1!!".
    /// Anyone can read it in the documentation, so it protects nothing; `isDevelopment` tells it apart.
    public static let development: RootKey = {
        precondition(developmentBytes.count == byteCount, "the development root key is 32 bytes")
        do {
            return try RootKey { memory in
                developmentBytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
            }
        } catch {
            preconditionFailure("the development root key cannot be allocated: \(error)")
        }
    }()

    /// BLAKE2b-256(key = root key, "custos root key fingerprint v1"), first 8 bytes, hex: names
    /// the key in logs and `keys` output without revealing it.
    public let fingerprint: String
    /// Whether this is the documented development key (whatever it was loaded from).
    public let isDevelopment: Bool
    private nonisolated(unsafe) let memory: UnsafeMutableRawPointer

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unreadable(path: String)
        case notRegularFile(path: String)
        case notOwned(path: String)
        case tooOpen(path: String)
        case malformed(path: String)
        /// The environment variable (or other text) is not 64 hexadecimal digits.
        case malformedText
        case cannotCreate(path: String)
        case outOfMemory

        public var description: String {
            switch self {
            case .unreadable(let path): "root key file \(path) cannot be read"
            case .notRegularFile(let path): "root key file \(path) is not a regular file"
            case .notOwned(let path): "root key file \(path) is not owned by the user running custos"
            case .tooOpen(let path): "root key file \(path) is readable or writable by group or others; chmod 600 it"
            case .malformed(let path): "root key file \(path) must hold 64 hexadecimal digits (32 bytes), optionally followed by a newline"
            case .malformedText: "a root key is 64 hexadecimal digits (32 bytes)"
            case .cannotCreate(let path): "root key file \(path) cannot be created (it must not exist yet)"
            case .outOfMemory: "sodium_malloc failed"
            }
        }
    }

    /// Allocates the key's guarded memory and lets `fill` write the 32 key bytes straight into
    /// it, so that no other copy of the key is made.
    private init(filling fill: (UnsafeMutableRawPointer) throws(Failure) -> Void) throws(Failure) {
        guard (try? Sodium.initialize()) != nil else { preconditionFailure("libsodium could not be initialised") }
        guard let memory = sodium_malloc(Self.byteCount) else { throw .outOfMemory }
        do {
            try fill(memory)
        } catch {
            sodium_memzero(memory, Self.byteCount)
            sodium_free(memory)
            throw error
        }
        self.memory = memory
        fingerprint = Self.fingerprint(of: memory)
        isDevelopment = Self.developmentBytes.withUnsafeBytes { development in
            sodium_memcmp(development.baseAddress!, memory, Self.byteCount) == 0
        }
    }

    deinit {
        sodium_memzero(memory, Self.byteCount)
        sodium_free(memory)
    }

    private static let developmentBytes = Array("custos development root key v1!!".utf8)

    private static func fingerprint(of key: UnsafeRawPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let label = Array("custos root key fingerprint v1".utf8)
        let status = crypto_generichash(&digest, 32, label, UInt64(label.count), key.assumingMemoryBound(to: UInt8.self), byteCount)
        precondition(status == 0, "crypto_generichash failed")
        return digest[0..<8].hexString
    }

    /// A new random root key (`randombytes_buf`), for `custos keys init`.
    public static func generate() throws(Failure) -> RootKey {
        try RootKey { memory in randombytes_buf(memory, byteCount) }
    }

    /// A root key from exactly 64 hexadecimal digits (either case), as an environment variable
    /// holds it.
    public convenience init(hex: String) throws(Failure) {
        var text = Array(hex.utf8)
        defer { sodium_memzero(&text, text.count) }
        try self.init(hexDigits: text, failure: .malformedText)
    }

    private convenience init(hexDigits text: [UInt8], failure: Failure) throws(Failure) {
        try self.init { (memory) throws(Failure) in
            guard text.count == 2 * Self.byteCount else { throw failure }
            var length = 0
            let status = text.withUnsafeBufferPointer { digits in
                digits.withMemoryRebound(to: CChar.self) { characters in
                    sodium_hex2bin(
                        memory.assumingMemoryBound(to: UInt8.self), Self.byteCount, characters.baseAddress, characters.count,
                        nil, &length, nil
                    )
                }
            }
            guard status == 0, length == Self.byteCount else { throw failure }
        }
    }

    /// Reads a root key file: 64 hexadecimal digits, optionally followed by one newline. Refuses
    /// anything but a regular file owned by the user running custos with no permission for group
    /// or others (mode 0600 or 0400). The checks are made on the open file, not on the path.
    public static func load(file path: String) throws(Failure) -> RootKey {
        var text = try SecretFile.read(path: path, bytesMax: fileBytesMax, failures: SecretFile.Failures(
            unreadable: Failure.unreadable(path: path), notRegularFile: .notRegularFile(path: path),
            notOwned: .notOwned(path: path), tooOpen: .tooOpen(path: path), tooLarge: .malformed(path: path)
        ))
        defer { sodium_memzero(&text, text.count) }
        if text.last == UInt8(ascii: "\n") { text.removeLast() }
        return try RootKey(hexDigits: text, failure: .malformed(path: path))
    }

    /// Writes this key to a new file at `path` (64 lower-case hex digits and a newline), created
    /// with mode 0600 and never over an existing file, for `custos keys init`.
    public func writeKeyFile(path: String) throws(Failure) {
        var text = [UInt8](repeating: 0, count: 2 * Self.byteCount + 1)
        defer { sodium_memzero(&text, text.count) }
        text.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                _ = sodium_bin2hex(characters.baseAddress!, characters.count, memory.assumingMemoryBound(to: UInt8.self), Self.byteCount)
            }
        }
        text[2 * Self.byteCount] = UInt8(ascii: "\n")  // in place of sodium_bin2hex's terminating NUL
        guard SecretFile.create(path: path, contents: text) else { throw .cannotCreate(path: path) }
    }

    /// Runs `body` with the key bytes (for derivations inside this module only).
    @inline(__always)
    func withBytes<Result, E: Error>(_ body: (UnsafePointer<UInt8>) throws(E) -> Result) throws(E) -> Result {
        try body(UnsafeRawPointer(memory).assumingMemoryBound(to: UInt8.self))
    }

    public var description: String { "root key \(fingerprint)\(isDevelopment ? " (the public development key)" : "")" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fingerprint": fingerprint, "isDevelopment": isDevelopment]) }
}
