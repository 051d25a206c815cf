import CSodium
import Domain
import Foundation

/// Blind-index values with libsodium (docs/encryption.md §5):
///
/// - tenant root = BLAKE2b-256(key = root key, "custos blind index v1" ‖ tenant (16));
/// - index key = `crypto_kdf_derive_from_key`(32 bytes, subkey id = the index's number,
///   context "custosbi", key = tenant root);
/// - value = BLAKE2b-256(key = index key, for each component: u16 BE length ‖ bytes), first 4
///   bytes as a big-endian UInt32, shifted right by 32 − bits.
///
/// Index keys are cached in bounded, guarded memory (`SecretCache`).
public final class SodiumBlindIndexer: BlindIndexer, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Index keys kept (one per tenant and index in use).
    public static let cachedKeysMax = 1_024
    static let keyByteCount = 32

    private let rootKey: RootKey
    private let indexKeys: SecretCache<IndexKeyName>

    public init(rootKey: RootKey, cachedKeysMax: Int = SodiumBlindIndexer.cachedKeysMax) throws {
        precondition((1...1_048_576).contains(cachedKeysMax), "the index key cache holds 1 to 1,048,576 keys")
        precondition(Int(crypto_kdf_CONTEXTBYTES) == 8 && Int(crypto_kdf_KEYBYTES) == Self.keyByteCount)
        self.rootKey = rootKey
        indexKeys = try SecretCache(slotBytes: Self.keyByteCount, slotsMax: cachedKeysMax)
    }

    public func value(of components: [[UInt8]], in index: BlindIndex, tenant: TenantID) -> UInt32 {
        precondition(!components.isEmpty, "a blind index value has at least one component")
        var messageCount = 0
        for component in components {
            precondition(component.count <= Int(UInt16.max), "a blind index component is at most 65,535 bytes")
            messageCount += 2 + component.count
        }
        let number = index.number  // (the closures capture no String-holding value)
        let shift = UInt32(32 - index.bits)
        let digest = withSecretScratch(byteCount: Self.keyByteCount) { key in
            let name = IndexKeyName(tenant: tenant, number: number)
            if !indexKeys.copy(name, to: key) {
                deriveIndexKey(tenant: tenant, number: number, to: key)
                indexKeys.insert(name, from: key)
            }
            return withUnsafeTemporaryAllocation(byteCount: messageCount, alignment: 8) { message in
                Self.hash(components, into: message, key: key)
            }
        }
        return digest >> shift
    }

    /// The first 4 bytes (big-endian) of BLAKE2b-256(key, u16 BE length ‖ bytes, for each component).
    private static func hash(_ components: [[UInt8]], into message: UnsafeMutableRawBufferPointer, key: UnsafeRawPointer) -> UInt32 {
        let base = message.baseAddress!
        var at = 0
        for component in components {
            base.storeBytes(of: UInt16(component.count).bigEndian, toByteOffset: at, as: UInt16.self)
            component.withUnsafeBytes { bytes in
                if let address = bytes.baseAddress { (base + at + 2).copyMemory(from: address, byteCount: bytes.count) }
            }
            at += 2 + component.count
        }
        precondition(at == message.count)
        return withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { digest in
            let status = crypto_generichash(
                digest.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, base.assumingMemoryBound(to: UInt8.self), UInt64(at),
                key.assumingMemoryBound(to: UInt8.self), keyByteCount
            )
            precondition(status == 0, "crypto_generichash failed")
            return UInt32(bigEndian: digest.baseAddress!.loadUnaligned(as: UInt32.self))
        }
    }

    /// The index key of (tenant, number), through the tenant's blind-index root (wiped after).
    private func deriveIndexKey(tenant: TenantID, number: UInt64, to key: UnsafeMutableRawPointer) {
        withSecretScratch(byteCount: Self.keyByteCount) { root in
            let label: StaticString = "custos blind index v1"
            withUnsafeTemporaryAllocation(byteCount: label.utf8CodeUnitCount + 16, alignment: 8) { buffer in
                let message = buffer.baseAddress!
                message.copyMemory(from: label.utf8Start, byteCount: label.utf8CodeUnitCount)
                withUnsafeBytes(of: tenant.rawValue.uuid) {
                    (message + label.utf8CodeUnitCount).copyMemory(from: $0.baseAddress!, byteCount: 16)
                }
                let status = rootKey.withBytes { rootKey in
                    crypto_generichash(
                        root.assumingMemoryBound(to: UInt8.self), Self.keyByteCount, message.assumingMemoryBound(to: UInt8.self),
                        UInt64(buffer.count), rootKey, RootKey.byteCount
                    )
                }
                precondition(status == 0, "crypto_generichash failed")
            }
            let context: StaticString = "custosbi"
            let status = context.utf8Start.withMemoryRebound(to: CChar.self, capacity: 8) { context in
                crypto_kdf_derive_from_key(
                    key.assumingMemoryBound(to: UInt8.self), Self.keyByteCount, number, context, root.assumingMemoryBound(to: UInt8.self)
                )
            }
            precondition(status == 0, "crypto_kdf_derive_from_key failed")
        }
    }

    public var description: String { "SodiumBlindIndexer(\(rootKey), \(indexKeys.count) of \(indexKeys.slotsMax) index keys cached)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["rootKey": rootKey.fingerprint]) }
}

struct IndexKeyName: SecretName {
    let tenant: TenantID
    let number: UInt64

    var hash64: UInt64 { tenant.rawValue.hash64 ^ number &* 0xff51_afd7_ed55_8ccd }

    func isSameName(as other: IndexKeyName) -> Bool { number == other.number && tenant.rawValue.isSame(as: other.tenant.rawValue) }
}
