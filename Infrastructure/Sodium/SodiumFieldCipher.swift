import CSodium
import Domain
import Foundation

/// Field encryption with libsodium (docs/encryption.md §3–4): XChaCha20-Poly1305 (IETF) with a
/// key commitment in every ciphertext's header, under per-subject data keys that are stored
/// wrapped under per-tenant key-encryption keys derived from the root key.
///
/// - KEK(tenant, v) = BLAKE2b-256(key = root key, "custos kek v1" ‖ tenant (16) ‖ v (u32 BE)).
/// - A wrapped data key (72 bytes) = nonce (24) ‖ XChaCha20-Poly1305(KEK, data key (32),
///   AAD = "custos data key v1" ‖ tenant (16) ‖ key id (16) ‖ key version (u32 BE) ‖ kek version (u32 BE)).
/// - A data key's commitment = BLAKE2b-256(key = data key, "custos key commitment v1").
/// - A sealed field: `SealedField`'s format, AAD = its 53-byte header ‖ `FieldBinding.associatedData`.
///
/// Unwrapped data keys (with their commitments) and derived KEKs are cached in bounded,
/// guarded memory (`SecretCache`), so that sealing and opening with a key in use costs one
/// AEAD call and one allocation (the result).
public final class SodiumFieldCipher: FieldCipher, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Unwrapped data keys kept (64 bytes of guarded memory each: the key and its commitment).
    public static let cachedKeysMax = 4_096
    /// Derived key-encryption keys kept (one per tenant and KEK version in use).
    public static let cachedKEKsMax = 1_024

    static let keyByteCount = 32
    static let commitmentByteCount = 32
    static let wrapNonceByteCount = 24
    /// "custos data key v1" (18) ‖ tenant (16) ‖ key id (16) ‖ key version (4) ‖ kek version (4).
    static let wrapAADByteCount = 58
    /// The longest field AAD: header (53) ‖ "custos field v1" (15) ‖ tenant (16) ‖ 1 + 63 ‖ 1 + 63 ‖ row (16) ‖ version (4).
    static let fieldAADBytesMax = SealedField.headerByteCount + 15 + 16 + 2 * (1 + FieldBinding.nameBytesMax) + 16 + 4

    private let rootKey: RootKey
    /// Slot: data key (32) ‖ its commitment (32).
    private let dataKeys: SecretCache<WrappedDataKey>
    private let keks: SecretCache<KEKName>

    /// - Parameter cachedKeysMax: unwrapped data keys kept (1 to 1,048,576).
    public init(rootKey: RootKey, cachedKeysMax: Int = SodiumFieldCipher.cachedKeysMax) throws {
        precondition((1...1_048_576).contains(cachedKeysMax), "the data key cache holds 1 to 1,048,576 keys")
        precondition(Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES) == Self.keyByteCount
            && Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) == SealedField.nonceByteCount
            && Int(crypto_aead_xchacha20poly1305_ietf_ABYTES) == SealedField.tagByteCount
            && Self.wrapNonceByteCount + Self.keyByteCount + SealedField.tagByteCount == WrappedDataKey.byteCount
            && Int(crypto_verify_32_BYTES) == Self.commitmentByteCount,
            "libsodium's XChaCha20-Poly1305 sizes are the format's")
        self.rootKey = rootKey
        dataKeys = try SecretCache(slotBytes: Self.keyByteCount + Self.commitmentByteCount, slotsMax: cachedKeysMax)
        keks = try SecretCache(slotBytes: Self.keyByteCount, slotsMax: Self.cachedKEKsMax)
    }

    // MARK: FieldCipher

    public func makeDataKey(_ reference: DataKeyReference, tenant: TenantID, kekVersion: UInt32) throws(FieldCipherError) -> WrappedDataKey {
        precondition(kekVersion >= 1, "key-encryption key versions count from 1")
        return withSecretScratch(byteCount: Self.keyByteCount + Self.commitmentByteCount) { slot in
            crypto_aead_xchacha20poly1305_ietf_keygen(slot.assumingMemoryBound(to: UInt8.self))
            Self.commit(key: slot, to: slot + Self.keyByteCount)
            let wrapped = wrap(slot, reference: reference, tenant: tenant, kekVersion: kekVersion)
            dataKeys.insert(wrapped, from: slot)  // it is about to seal
            return wrapped
        }
    }

    public func rewrap(_ key: WrappedDataKey, toKEKVersion kekVersion: UInt32) throws(FieldCipherError) -> WrappedDataKey {
        precondition(kekVersion >= 1, "key-encryption key versions count from 1")
        return try withDataKey(key) { slot in
            wrap(slot, reference: key.reference, tenant: key.tenant, kekVersion: kekVersion)
        }
    }

    public func seal(_ plaintext: [UInt8], key: WrappedDataKey, binding: FieldBinding) throws(FieldCipherError) -> SealedField {
        guard plaintext.count <= SealedField.plaintextBytesMax else { throw .plaintextTooLarge(bytes: plaintext.count) }
        // A tenant's key never seals another tenant's value (such a ciphertext could never open).
        guard binding.tenant == key.tenant else { throw .keyMismatch }
        let bytes = try withDataKey(key) { slot in
            Self.seal(plaintext, slot: slot, reference: key.reference, binding: binding)
        }
        return try SealedField(bytes: bytes)
    }

    public func open(_ sealed: SealedField, key: WrappedDataKey, binding: FieldBinding) throws(FieldCipherError) -> [UInt8] {
        // `sealed.keyReference == key.reference && sealed.storedKeyVersion == key.reference.version`,
        // compared on the bytes (no UUID is built on this path).
        guard Self.names(sealed.bytes, key.reference) else { throw .keyMismatch }
        return try withDataKey(key) { (slot) throws(FieldCipherError) -> [UInt8] in
            try Self.open(sealed.bytes, slot: slot, keyVersion: key.reference.version, binding: binding)
        }
    }

    // MARK: Sealed fields

    /// The sealed field's bytes: header ‖ nonce ‖ ciphertext ‖ tag.
    private static func seal(_ plaintext: [UInt8], slot: UnsafeRawPointer, reference: DataKeyReference, binding: FieldBinding) -> [UInt8] {
        let count = SealedField.overheadByteCount + plaintext.count
        let sealed = newBytes(count: count, wipe: false) { out in
            let raw = UnsafeMutableRawPointer(out)
            out[0] = SealedField.format
            withUnsafeBytes(of: reference.id.rawValue.uuid) { raw.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            raw.storeBytes(of: reference.version.bigEndian, toByteOffset: 17, as: UInt32.self)
            raw.advanced(by: 21).copyMemory(from: slot + keyByteCount, byteCount: commitmentByteCount)
            let nonce = out + SealedField.headerByteCount
            randombytes_buf(nonce, SealedField.nonceByteCount)
            return withUnsafeTemporaryAllocation(byteCount: fieldAADBytesMax, alignment: 8) { aad in
                let aadCount = writeFieldAAD(header: raw, binding: binding, keyVersion: reference.version, to: aad.baseAddress!)
                var written: UInt64 = 0
                return crypto_aead_xchacha20poly1305_ietf_encrypt(
                    nonce + SealedField.nonceByteCount, &written, plaintext, UInt64(plaintext.count),
                    aad.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(aadCount), nil, nonce,
                    slot.assumingMemoryBound(to: UInt8.self)
                ) == 0 && written == UInt64(plaintext.count + SealedField.tagByteCount)
            }
        }
        guard let sealed else { preconditionFailure("crypto_aead_xchacha20poly1305_ietf_encrypt failed") }
        return sealed
    }

    /// A new array of `count` bytes that `fill` writes, or nil when `fill` returns false. `fill`
    /// writes into scratch memory (wiped afterwards when `wipe`), which is then copied:
    /// `Array(UnsafeBufferPointer)` allocates faster than `Array(unsafeUninitializedCapacity:)`,
    /// whose generic path looks the array's type metadata up on every call.
    @inline(__always)
    static func newBytes(count: Int, wipe: Bool, _ fill: (UnsafeMutablePointer<UInt8>) -> Bool) -> [UInt8]? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count, 1)) { scratch in
            let base = scratch.baseAddress!
            defer { if wipe { sodium_memzero(base, count) } }
            guard fill(base) else { return nil }
            return Array(UnsafeBufferPointer(start: base, count: count))
        }
    }

    /// Whether the sealed field's header names `reference`: its key id and, as stored, its version.
    @inline(__always)
    private static func names(_ bytes: [UInt8], _ reference: DataKeyReference) -> Bool {
        bytes.withUnsafeBytes { header in
            withUnsafeBytes(of: reference.id.rawValue.uuid) { id in
                header.loadUnaligned(fromByteOffset: 1, as: UInt64.self) == id.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
                    && header.loadUnaligned(fromByteOffset: 9, as: UInt64.self) == id.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            } && UInt32(bigEndian: header.loadUnaligned(fromByteOffset: 17, as: UInt32.self)) == reference.version
        }
    }

    /// Checks the commitment (in constant time, before any decryption), then decrypts.
    private static func open(_ bytes: [UInt8], slot: UnsafeRawPointer, keyVersion: UInt32, binding: FieldBinding) throws(FieldCipherError) -> [UInt8] {
        precondition(bytes.count >= SealedField.overheadByteCount, "a SealedField is framed")
        let plaintextCount = bytes.count - SealedField.overheadByteCount
        return try bytes.withUnsafeBufferPointer { (sealed) throws(FieldCipherError) -> [UInt8] in
            let header = sealed.baseAddress!
            // Constant time: crypto_verify_32 is libsodium's comparison for 32-byte secrets (as
            // constant-time as sodium_memcmp, whose volatile byte loop costs several times as much).
            guard crypto_verify_32(header + 21, slot.assumingMemoryBound(to: UInt8.self) + keyByteCount) == 0 else {
                throw .keyCommitmentMismatch
            }
            let nonce = header + SealedField.headerByteCount
            let plaintext = newBytes(count: plaintextCount, wipe: true) { out in
                withUnsafeTemporaryAllocation(byteCount: fieldAADBytesMax, alignment: 8) { aad in
                    let aadCount = writeFieldAAD(header: header, binding: binding, keyVersion: keyVersion, to: aad.baseAddress!)
                    var written: UInt64 = 0
                    return crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out, &written, nil, nonce + SealedField.nonceByteCount, UInt64(plaintextCount + SealedField.tagByteCount),
                        aad.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(aadCount), nonce,
                        slot.assumingMemoryBound(to: UInt8.self)
                    ) == 0 && written == UInt64(plaintextCount)
                }
            }
            guard let plaintext else { throw .authenticationFailed }
            return plaintext
        }
    }

    /// Writes a field's AAD, the 53-byte header ‖ the binding's associated data
    /// (`FieldBinding.associatedData(keyVersion:)`, written here without an allocation), to `aad`
    /// (`fieldAADBytesMax` bytes); returns its length.
    static func writeFieldAAD(header: UnsafeRawPointer, binding: FieldBinding, keyVersion: UInt32, to aad: UnsafeMutableRawPointer) -> Int {
        aad.copyMemory(from: header, byteCount: SealedField.headerByteCount)
        var at = SealedField.headerByteCount
        at = append("custos field v1", to: aad, at: at)
        withUnsafeBytes(of: binding.tenant.rawValue.uuid) { (aad + at).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        at += 16
        at = appendName(binding.table, to: aad, at: at)
        at = appendName(binding.column, to: aad, at: at)
        withUnsafeBytes(of: binding.rowID.uuid) { (aad + at).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        at += 16
        aad.storeBytes(of: keyVersion.bigEndian, toByteOffset: at, as: UInt32.self)
        return at + 4
    }

    private static func append(_ label: StaticString, to buffer: UnsafeMutableRawPointer, at: Int) -> Int {
        (buffer + at).copyMemory(from: label.utf8Start, byteCount: label.utf8CodeUnitCount)
        return at + label.utf8CodeUnitCount
    }

    /// u8 length ‖ the name's bytes (a `FieldBinding` name: 1 to 63 ASCII bytes).
    private static func appendName(_ name: String, to buffer: UnsafeMutableRawPointer, at: Int) -> Int {
        var name = name  // `withUTF8` copies only a string that is not already contiguous UTF-8
        return name.withUTF8 { bytes in
            precondition(bytes.count <= FieldBinding.nameBytesMax, "a FieldBinding name is at most 63 bytes")
            buffer.storeBytes(of: UInt8(bytes.count), toByteOffset: at, as: UInt8.self)
            (buffer + at + 1).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            return at + 1 + bytes.count
        }
    }

    // MARK: Data keys

    /// Runs `body` with the data key ‖ its commitment (64 bytes), from the cache or unwrapped
    /// (and then cached); the copy is wiped afterwards.
    private func withDataKey<Result>(
        _ key: WrappedDataKey, _ body: (UnsafeRawPointer) throws(FieldCipherError) -> Result
    ) throws(FieldCipherError) -> Result {
        guard key.bytes.count == WrappedDataKey.byteCount else { throw .keyUnwrapFailed }
        return try withSecretScratch(byteCount: Self.keyByteCount + Self.commitmentByteCount) { (slot) throws(FieldCipherError) -> Result in
            if !dataKeys.copy(key, to: slot) {
                guard unwrap(key, to: slot) else { throw .keyUnwrapFailed }
                Self.commit(key: slot, to: slot + Self.keyByteCount)
                dataKeys.insert(key, from: slot)
            }
            return try body(slot)
        }
    }

    /// nonce ‖ XChaCha20-Poly1305(KEK(tenant, kekVersion), the 32 key bytes at `dataKey`, wrap AAD).
    private func wrap(_ dataKey: UnsafeRawPointer, reference: DataKeyReference, tenant: TenantID, kekVersion: UInt32) -> WrappedDataKey {
        let bytes = withKEK(tenant: tenant, version: kekVersion) { kek in
            [UInt8](unsafeUninitializedCapacity: WrappedDataKey.byteCount) { output, initialized in
                let out = output.baseAddress!
                randombytes_buf(out, Self.wrapNonceByteCount)
                let status = Self.withWrapAAD(tenant: tenant, reference: reference, kekVersion: kekVersion) { aad in
                    var written: UInt64 = 0
                    return crypto_aead_xchacha20poly1305_ietf_encrypt(
                        out + Self.wrapNonceByteCount, &written, dataKey.assumingMemoryBound(to: UInt8.self), UInt64(Self.keyByteCount),
                        aad, UInt64(Self.wrapAADByteCount), nil, out, kek
                    ) == 0 && written == UInt64(Self.keyByteCount + SealedField.tagByteCount)
                }
                precondition(status, "crypto_aead_xchacha20poly1305_ietf_encrypt failed")
                initialized = WrappedDataKey.byteCount
            }
        }
        return WrappedDataKey(reference: reference, tenant: tenant, kekVersion: kekVersion, bytes: bytes)
    }

    /// Decrypts the wrapped key's 32 bytes to `destination`; false when it does not authenticate.
    private func unwrap(_ key: WrappedDataKey, to destination: UnsafeMutableRawPointer) -> Bool {
        precondition(key.bytes.count == WrappedDataKey.byteCount)
        return withKEK(tenant: key.tenant, version: key.kekVersion) { kek in
            Self.withWrapAAD(tenant: key.tenant, reference: key.reference, kekVersion: key.kekVersion) { aad in
                key.bytes.withUnsafeBufferPointer { wrapped in
                    var written: UInt64 = 0
                    return crypto_aead_xchacha20poly1305_ietf_decrypt(
                        destination.assumingMemoryBound(to: UInt8.self), &written, nil,
                        wrapped.baseAddress! + Self.wrapNonceByteCount, UInt64(WrappedDataKey.byteCount - Self.wrapNonceByteCount),
                        aad, UInt64(Self.wrapAADByteCount), wrapped.baseAddress!, kek
                    ) == 0 && written == UInt64(Self.keyByteCount)
                }
            }
        }
    }

    private static func withWrapAAD<Result>(
        tenant: TenantID, reference: DataKeyReference, kekVersion: UInt32, _ body: (UnsafePointer<UInt8>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(byteCount: wrapAADByteCount, alignment: 8) { buffer in
            let aad = buffer.baseAddress!
            var at = append("custos data key v1", to: aad, at: 0)
            withUnsafeBytes(of: tenant.rawValue.uuid) { (aad + at).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            at += 16
            withUnsafeBytes(of: reference.id.rawValue.uuid) { (aad + at).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            at += 16
            aad.storeBytes(of: reference.version.bigEndian, toByteOffset: at, as: UInt32.self)
            aad.storeBytes(of: kekVersion.bigEndian, toByteOffset: at + 4, as: UInt32.self)
            precondition(at + 8 == wrapAADByteCount)
            return body(UnsafePointer(aad.assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// BLAKE2b-256(key = the data key at `key`, "custos key commitment v1") to `commitment`.
    private static func commit(key: UnsafeRawPointer, to commitment: UnsafeMutableRawPointer) {
        let label: StaticString = "custos key commitment v1"
        let status = crypto_generichash(
            commitment.assumingMemoryBound(to: UInt8.self), commitmentByteCount, label.utf8Start, UInt64(label.utf8CodeUnitCount),
            key.assumingMemoryBound(to: UInt8.self), keyByteCount
        )
        precondition(status == 0, "crypto_generichash failed")
    }

    // MARK: Key-encryption keys

    /// Runs `body` with KEK(tenant, version), from the cache or derived (and then cached); the
    /// copy is wiped afterwards.
    private func withKEK<Result>(tenant: TenantID, version: UInt32, _ body: (UnsafePointer<UInt8>) -> Result) -> Result {
        withSecretScratch(byteCount: Self.keyByteCount) { kek in
            let name = KEKName(tenant: tenant, version: version)
            if !keks.copy(name, to: kek) {
                Self.deriveKEK(rootKey: rootKey, tenant: tenant, version: version, to: kek)
                keks.insert(name, from: kek)
            }
            return body(UnsafePointer(kek.assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// BLAKE2b-256(key = root key, "custos kek v1" ‖ tenant (16) ‖ version (u32 BE)).
    static func deriveKEK(rootKey: RootKey, tenant: TenantID, version: UInt32, to kek: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(byteCount: 13 + 16 + 4, alignment: 8) { buffer in
            let message = buffer.baseAddress!
            var at = append("custos kek v1", to: message, at: 0)
            withUnsafeBytes(of: tenant.rawValue.uuid) { (message + at).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            at += 16
            message.storeBytes(of: version.bigEndian, toByteOffset: at, as: UInt32.self)
            let status = rootKey.withBytes { root in
                crypto_generichash(
                    kek.assumingMemoryBound(to: UInt8.self), keyByteCount, message.assumingMemoryBound(to: UInt8.self), UInt64(at + 4),
                    root, RootKey.byteCount
                )
            }
            precondition(status == 0, "crypto_generichash failed")
        }
    }

    // MARK: Descriptions (never key material)

    public var description: String { "SodiumFieldCipher(\(rootKey), \(dataKeys.count) of \(dataKeys.slotsMax) data keys cached)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["rootKey": rootKey.fingerprint]) }
}

/// A cached data key is named by all of its wrapped form (reference, tenant, KEK version,
/// bytes), so that a key is only ever found under the exact bytes it was unwrapped from. The
/// hash takes the wrap nonce's first 8 bytes (random) and the versions; the equality compares
/// everything, the bytes first (usually the very same array).
extension WrappedDataKey: SecretName {
    var hash64: UInt64 {
        precondition(bytes.count == WrappedDataKey.byteCount)
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } ^ (UInt64(kekVersion) << 32 | UInt64(reference.version))
    }

    func isSameName(as other: WrappedDataKey) -> Bool {
        bytes == other.bytes && kekVersion == other.kekVersion && reference.version == other.reference.version
            && reference.id.rawValue.isSame(as: other.reference.id.rawValue) && tenant.rawValue.isSame(as: other.tenant.rawValue)
    }
}

struct KEKName: SecretName {
    let tenant: TenantID
    let version: UInt32

    var hash64: UInt64 { tenant.rawValue.hash64 ^ UInt64(version) }

    func isSameName(as other: KEKName) -> Bool { version == other.version && tenant.rawValue.isSame(as: other.tenant.rawValue) }
}

extension UUID {
    /// `==`, on the two 64-bit halves.
    @inline(__always)
    func isSame(as other: UUID) -> Bool {
        withUnsafeBytes(of: uuid) { a in
            withUnsafeBytes(of: other.uuid) { b in
                a.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
                    && a.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            }
        }
    }

    /// The UUID's two 64-bit halves folded, for `SecretName` hashes.
    var hash64: UInt64 {
        withUnsafeBytes(of: uuid) { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) ^ $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self).byteSwapped }
    }
}
