import CSodium
import Domain
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The signing keys of every audit log, derived from one 32-byte root key, so that no private
/// key is ever stored in the database: the seed of a log's Ed25519 key is
/// BLAKE2b-256 keyed with the root key over "custos audit signing key v1\n" ‖ origin ‖ "\n" ‖ version.
/// The root key sits in `sodium_malloc` memory (guarded, locked where allowed, wiped on release).
public final class SodiumAuditKeyring: CheckpointSigner, Sendable {
    public static let rootKeyByteCount = 32
    private nonisolated(unsafe) let rootKey: UnsafeMutableRawPointer

    public enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String)
        case malformed(path: String)
        case cannotCreate(path: String)
        case tooOpen(path: String)
        public var description: String {
            switch self {
            case .unreadable(let path): "audit key file \(path) cannot be read (start `custos serve` once in development, or set CUSTOS_AUDIT_KEY_FILE)"
            case .tooOpen(let path): "audit key file \(path) is readable by group or others; chmod 600 it"
            case .malformed(let path): "audit key file \(path) must hold 64 hexadecimal digits (32 bytes)"
            case .cannotCreate(let path): "audit key file \(path) cannot be created"
            }
        }
    }

    public init(rootKey: [UInt8]) throws {
        try Sodium.initialize()
        precondition(rootKey.count == Self.rootKeyByteCount, "the audit root key is 32 bytes")
        guard let memory = sodium_malloc(Self.rootKeyByteCount) else { throw SodiumNoteSigner.Failure.outOfMemory }
        memory.copyMemory(from: rootKey, byteCount: Self.rootKeyByteCount)
        self.rootKey = memory
    }

    deinit {
        sodium_free(rootKey)
    }

    /// Reads the root key file (64 hex digits). With `createIfMissing`, a missing file is created
    /// first with a fresh random key, mode 0600 (development only: production keys are provisioned).
    public static func load(file path: String, createIfMissing: Bool) throws -> SodiumAuditKeyring {
        try Sodium.initialize()
        if !FileManager.default.fileExists(atPath: path) {
            guard createIfMissing else { throw Failure.unreadable(path: path) }
            var key = [UInt8](repeating: 0, count: rootKeyByteCount)
            randombytes_buf(&key, rootKeyByteCount)
            defer { sodium_memzero(&key, rootKeyByteCount) }
            var text = Array((key.hexString + "\n").utf8)
            defer { sodium_memzero(&text, text.count) }
            // O_EXCL with mode 0600 from the start: never a moment at a wider mode, never an overwrite.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw Failure.cannotCreate(path: path) }
            defer { close(descriptor) }
            guard write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
                throw Failure.cannotCreate(path: path)
            }
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw Failure.unreadable(path: path) }
        guard status.st_mode & 0o077 == 0 else { throw Failure.tooOpen(path: path) }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 256 else { throw Failure.unreadable(path: path) }
        var text = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        defer { sodium_memzero(&text, text.count) }
        guard text.count == 2 * rootKeyByteCount else { throw Failure.malformed(path: path) }
        var key = [UInt8](repeating: 0, count: rootKeyByteCount)
        defer { sodium_memzero(&key, rootKeyByteCount) }
        var decoded = 0
        guard sodium_hex2bin(&key, rootKeyByteCount, text.map { CChar(bitPattern: $0) }, text.count, nil, &decoded, nil) == 0,
              decoded == rootKeyByteCount
        else { throw Failure.malformed(path: path) }
        return try SodiumAuditKeyring(rootKey: key)
    }

    /// The signer of `origin`'s checkpoints at key `version` (docs/audit-log.md §5.2).
    public func signer(origin: String, version: UInt32) throws -> SodiumNoteSigner {
        precondition(version >= 1, "key versions count from 1")
        return try withDerivedSeed(message: Array("custos audit signing key v1\n\(origin)\n\(version)".utf8)) { seed in
            try SodiumNoteSigner(name: origin, seed: seed)
        }
    }

    /// Calls `body` with BLAKE2b-256 keyed with the root key over `message` (the seed of one
    /// derived key), then wipes the seed.
    func withDerivedSeed<Result>(message: [UInt8], _ body: ([UInt8]) throws -> Result) rethrows -> Result {
        var seed = [UInt8](repeating: 0, count: 32)
        defer { sodium_memzero(&seed, seed.count) }
        let status = crypto_generichash(
            &seed, seed.count, message, UInt64(message.count), rootKey.assumingMemoryBound(to: UInt8.self), Self.rootKeyByteCount
        )
        precondition(status == 0, "crypto_generichash failed")
        return try body(seed)
    }

    public func sign(checkpointText: String, origin: String, versions: [UInt32]) throws -> SignedNote {
        precondition(!versions.isEmpty, "a checkpoint is signed by at least one key")
        let notes = try versions.map { try signer(origin: origin, version: $0).signedNote(text: checkpointText) }
        return try SignedNote(text: checkpointText, signatures: notes.flatMap(\.signatures))
    }

    public func verifierKey(origin: String, version: UInt32) throws -> NoteVerifierKey {
        try signer(origin: origin, version: version).verifierKey
    }
}
