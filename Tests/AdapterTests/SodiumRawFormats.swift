import CSodium
import Domain
import Foundation

/// The formats of docs/encryption.md, computed with raw libsodium calls, independently of the
/// adapter's code.
enum Raw {
    static func bytes(of uuid: UUID) -> [UInt8] { withUnsafeBytes(of: uuid.uuid) { Array($0) } }
    static func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    /// BLAKE2b-256 keyed (crypto_generichash).
    static func keyedHash(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        precondition(crypto_generichash(&digest, 32, message, UInt64(message.count), key, key.count) == 0)
        return digest
    }

    static func kek(root: [UInt8], tenant: TenantID, version: UInt32) -> [UInt8] {
        keyedHash(Array("custos kek v1".utf8) + bytes(of: tenant.rawValue) + be32(version), key: root)
    }

    static func commitment(of key: [UInt8]) -> [UInt8] { keyedHash(Array("custos key commitment v1".utf8), key: key) }

    static func wrapAAD(tenant: TenantID, reference: DataKeyReference, kekVersion: UInt32) -> [UInt8] {
        Array("custos data key v1".utf8) + bytes(of: tenant.rawValue) + bytes(of: reference.id.rawValue) + be32(reference.version)
            + be32(kekVersion)
    }

    static func encrypt(_ plaintext: [UInt8], aad: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: UInt64 = 0
        precondition(crypto_aead_xchacha20poly1305_ietf_encrypt(
            &out, &written, plaintext, UInt64(plaintext.count), aad, UInt64(aad.count), nil, nonce, key
        ) == 0)
        return out
    }

    static func decrypt(_ ciphertext: [UInt8], aad: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard ciphertext.count >= 16 else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count - 16 + 1)
        var written: UInt64 = 0
        guard crypto_aead_xchacha20poly1305_ietf_decrypt(
            &out, &written, nil, ciphertext, UInt64(ciphertext.count), aad, UInt64(aad.count), nonce, key
        ) == 0 else { return nil }
        return Array(out.prefix(Int(written)))
    }

    static func unwrap(_ wrapped: WrappedDataKey, root: [UInt8]) -> [UInt8]? {
        guard wrapped.bytes.count == 72 else { return nil }
        return decrypt(
            Array(wrapped.bytes[24...]), aad: wrapAAD(tenant: wrapped.tenant, reference: wrapped.reference, kekVersion: wrapped.kekVersion),
            nonce: Array(wrapped.bytes[..<24]), key: kek(root: root, tenant: wrapped.tenant, version: wrapped.kekVersion)
        )
    }

    static func wrap(_ key: [UInt8], root: [UInt8], reference: DataKeyReference, tenant: TenantID, kekVersion: UInt32) -> WrappedDataKey {
        let nonce = random(24)
        let sealed = encrypt(
            key, aad: wrapAAD(tenant: tenant, reference: reference, kekVersion: kekVersion), nonce: nonce,
            key: kek(root: root, tenant: tenant, version: kekVersion)
        )
        return WrappedDataKey(reference: reference, tenant: tenant, kekVersion: kekVersion, bytes: nonce + sealed)
    }

    static func random(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }

    static func header(key: [UInt8], reference: DataKeyReference) -> [UInt8] {
        [0x01] + bytes(of: reference.id.rawValue) + be32(reference.version) + commitment(of: key)
    }

    /// The field's AAD: the 53-byte header ‖ the binding's associated data.
    static func fieldAAD(header: [UInt8], binding: FieldBinding, keyVersion: UInt32) -> [UInt8] {
        header + binding.associatedData(keyVersion: keyVersion)
    }

    static func sealField(_ plaintext: [UInt8], key: [UInt8], reference: DataKeyReference, binding: FieldBinding) -> [UInt8] {
        let header = header(key: key, reference: reference)
        let nonce = random(24)
        return header + nonce
            + encrypt(plaintext, aad: fieldAAD(header: header, binding: binding, keyVersion: reference.version), nonce: nonce, key: key)
    }

    /// Opens by the spec: the commitment must be the key's, then the AEAD must verify.
    static func openField(_ sealed: [UInt8], key: [UInt8], binding: FieldBinding) -> [UInt8]? {
        guard sealed.count >= 93, sealed[0] == 1, Array(sealed[21..<53]) == commitment(of: key) else { return nil }
        let version = sealed[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return decrypt(
            Array(sealed[77...]), aad: fieldAAD(header: Array(sealed[..<53]), binding: binding, keyVersion: version),
            nonce: Array(sealed[53..<77]), key: key
        )
    }

    static func blindIndexKey(number: UInt64, tenant: TenantID, root: [UInt8]) -> [UInt8] {
        let tenantRoot = keyedHash(Array("custos blind index v1".utf8) + bytes(of: tenant.rawValue), key: root)
        var key = [UInt8](repeating: 0, count: 32)
        let context = Array("custosbi".utf8).map { CChar(bitPattern: $0) }
        precondition(crypto_kdf_derive_from_key(&key, 32, number, context, tenantRoot) == 0)
        return key
    }

    static func blindIndex(_ components: [[UInt8]], number: UInt64, bits: Int, tenant: TenantID, root: [UInt8]) -> UInt32 {
        let message = components.flatMap { withUnsafeBytes(of: UInt16($0.count).bigEndian) { Array($0) } + $0 }
        let digest = keyedHash(message, key: blindIndexKey(number: number, tenant: tenant, root: root))
        return digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } >> (32 - UInt32(bits))
    }
}
