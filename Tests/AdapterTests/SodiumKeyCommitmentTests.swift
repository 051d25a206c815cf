import CSodium
import Domain
import Foundation
import SodiumAdapters
import Testing

/// Why sealed fields carry a key commitment. XChaCha20-Poly1305 is not key-committing: one
/// ciphertext can be made to authenticate under two keys (a Poly1305 multi-key collision, as in
/// Len, Grubbs and Ristenpart, "Partitioning Oracle Attacks", USENIX Security 2021). This test
/// builds such a ciphertext for two real data keys, checks that raw libsodium accepts it under
/// both, and that the cipher refuses it under the key whose commitment the header does not carry.
@Suite struct SodiumKeyCommitmentTests {
    static let rootBytes = [UInt8](0..<32)

    @Test func aCiphertextValidUnderTwoKeysOpensOnlyUnderTheCommittedOne() throws {
        let rootKey = try RootKey(hex: Self.rootBytes.hexString)
        let cipher = try SodiumFieldCipher(rootKey: rootKey)
        let tenant = TenantID(UUID())
        let binding = FieldBinding(tenant: tenant, table: "transactions", column: "counterparty_name", rowID: UUID())
        // Two data keys under one reference (as when a stored wrapped key is replaced).
        let reference = DataKeyReference(id: DataKeyID(UUID()), version: 1)
        let wrapped1 = try cipher.makeDataKey(reference, tenant: tenant, kekVersion: 1)
        let wrapped2 = try cipher.makeDataKey(reference, tenant: tenant, kekVersion: 1)
        let key1 = try #require(Raw.unwrap(wrapped1, root: Self.rootBytes))
        let key2 = try #require(Raw.unwrap(wrapped2, root: Self.rootBytes))
        #expect(key1 != key2)

        // The header carries key 1's commitment; the AAD is fixed before the collision is solved.
        let header = Raw.header(key: key1, reference: reference)
        let aad = Raw.fieldAAD(header: header, binding: binding, keyVersion: reference.version)
        let nonce = Raw.random(24)
        let collision = try #require(Collision.find(key1: key1, key2: key2, nonce: nonce, aad: aad, blocks: 4, freeBlock: 1))

        // The attack is real: raw libsodium accepts the one ciphertext under both keys, with two
        // different plaintexts.
        let plaintext1 = try #require(Raw.decrypt(collision.ciphertextAndTag, aad: aad, nonce: nonce, key: key1))
        let plaintext2 = try #require(Raw.decrypt(collision.ciphertextAndTag, aad: aad, nonce: nonce, key: key2))
        #expect(plaintext1 != plaintext2)
        #expect(plaintext1.count == 64)

        // The cipher opens it under key 1 (whose commitment the header carries) and refuses it
        // under key 2 before decrypting.
        let sealed = try SealedField(bytes: header + nonce + collision.ciphertextAndTag)
        #expect(try cipher.open(sealed, key: wrapped1, binding: binding) == plaintext1)
        #expect(throws: FieldCipherError.keyCommitmentMismatch) { try cipher.open(sealed, key: wrapped2, binding: binding) }
        // Also with nothing cached.
        let fresh = try SodiumFieldCipher(rootKey: try RootKey(hex: Self.rootBytes.hexString))
        #expect(throws: FieldCipherError.keyCommitmentMismatch) { try fresh.open(sealed, key: wrapped2, binding: binding) }
        // The same ciphertext with key 2's commitment in the header changes the AAD: it then
        // opens under neither key.
        let header2 = Raw.header(key: key2, reference: reference)
        let swapped = try SealedField(bytes: header2 + nonce + collision.ciphertextAndTag)
        #expect(throws: FieldCipherError.authenticationFailed) { try cipher.open(swapped, key: wrapped2, binding: binding) }
        #expect(throws: FieldCipherError.keyCommitmentMismatch) { try cipher.open(swapped, key: wrapped1, binding: binding) }
    }

    @Test func theFieldArithmeticIsSound() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let a = Field1305(block: Raw.random(16), highBit: Bool.random(using: &generator))
            let b = Field1305(block: Raw.random(16), highBit: false)
            #expect((a * a.inverse).bytes.value == [1] + [UInt8](repeating: 0, count: 15))
            #expect(((a + b) - b).bytes.value == a.bytes.value)
            #expect((a * b).bytes.value == (b * a).bytes.value)
        }
        // p − 1 + 1 ≡ 0, and 2^130 ≡ 5.
        let pMinusOne = Field1305.zero - Field1305.one
        #expect((pMinusOne + .one).bytes.value == [UInt8](repeating: 0, count: 16))
        let twoTo128 = Field1305(block: [UInt8](repeating: 0, count: 16), highBit: true)
        let four = Field1305(block: [4] + [UInt8](repeating: 0, count: 15), highBit: false)
        #expect((twoTo128 * four).bytes.value == [5] + [UInt8](repeating: 0, count: 15))
    }
}

/// Solving for a ciphertext whose Poly1305 tag is the same under two XChaCha20-Poly1305 keys.
enum Collision {
    struct Found {
        let ciphertextAndTag: [UInt8]
        let attempts: Int
    }

    /// XChaCha20-Poly1305-IETF (libsodium): subkey = HChaCha20(key, nonce[0..<16]); the ChaCha20
    /// (IETF) nonce is 0⁴ ‖ nonce[16..<24]; the Poly1305 key is the first 32 bytes of the
    /// keystream at counter 0; the plaintext is encrypted from counter 1.
    struct OneTime {
        let subkey: [UInt8]
        let ietfNonce: [UInt8]
        let r: Field1305
        let s: Field1305

        init(key: [UInt8], nonce: [UInt8]) {
            var subkey = [UInt8](repeating: 0, count: 32)
            precondition(crypto_core_hchacha20(&subkey, Array(nonce[0..<16]), key, nil) == 0)
            let ietfNonce = [0, 0, 0, 0] + Array(nonce[16..<24])
            var polyKey = [UInt8](repeating: 0, count: 32)
            precondition(crypto_stream_chacha20_ietf(&polyKey, 32, ietfNonce, subkey) == 0)
            var r = Array(polyKey[0..<16])
            for index in [3, 7, 11, 15] { r[index] &= 15 }
            for index in [4, 8, 12] { r[index] &= 252 }
            self.subkey = subkey
            self.ietfNonce = ietfNonce
            self.r = Field1305(block: r, highBit: false)
            self.s = Field1305(block: Array(polyKey[16..<32]), highBit: false)
        }

        /// What decrypting `ciphertext` under this key gives.
        func plaintext(of ciphertext: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: ciphertext.count)
            precondition(crypto_stream_chacha20_ietf_xor_ic(&out, ciphertext, UInt64(ciphertext.count), ietfNonce, 1, subkey) == 0)
            return out
        }
    }

    /// RFC 8439's Poly1305 input for an AEAD: AAD, pad16, ciphertext, pad16, le64(AAD length),
    /// le64(ciphertext length), as 16-byte blocks.
    static func macBlocks(aad: [UInt8], ciphertext: [UInt8]) -> [[UInt8]] {
        func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (16 - bytes.count % 16) % 16) }
        let lengths = withUnsafeBytes(of: UInt64(aad.count).littleEndian) { Array($0) }
            + withUnsafeBytes(of: UInt64(ciphertext.count).littleEndian) { Array($0) }
        let all = padded(aad) + padded(ciphertext) + lengths
        return stride(from: 0, to: all.count, by: 16).map { Array(all[$0..<$0 + 16]) }
    }

    /// Σ block_i · r^(n−i), by Horner's rule, each block with its 2^128 bit.
    static func accumulate(_ blocks: [[UInt8]], r: Field1305) -> Field1305 {
        blocks.reduce(Field1305.zero) { ($0 + Field1305(block: $1, highBit: true)) * r }
    }

    /// A ciphertext of `blocks` 16-byte blocks and its tag, valid under both keys for this nonce
    /// and AAD: every block random but `freeBlock`, which is solved for; retried with other
    /// random blocks until the solution fits in 128 bits and the tags (h + s mod 2^128, not
    /// mod p) agree.
    static func find(key1: [UInt8], key2: [UInt8], nonce: [UInt8], aad: [UInt8], blocks: Int, freeBlock: Int) -> Found? {
        let one = OneTime(key: key1, nonce: nonce)
        let two = OneTime(key: key2, nonce: nonce)
        let aadBlocks = (aad.count + 15) / 16
        let total = aadBlocks + blocks + 1
        // The free block's power of r: the last block is multiplied by r once.
        let exponent = total - (aadBlocks + freeBlock)
        let difference = one.r.power(exponent) - two.r.power(exponent)
        for attempt in 1...256 {
            var ciphertext = Raw.random(16 * blocks)
            ciphertext.replaceSubrange(16 * freeBlock..<16 * (freeBlock + 1), with: [UInt8](repeating: 0, count: 16))
            // With the free block's value x: h_k = h_k(0) + x · r_k^e. Equal tags (mod p) need
            // h_1(0) + x·r_1^e + s_1 = h_2(0) + x·r_2^e + s_2.
            let h1 = accumulate(macBlocks(aad: aad, ciphertext: ciphertext), r: one.r)
            let h2 = accumulate(macBlocks(aad: aad, ciphertext: ciphertext), r: two.r)
            let x = (h2 - h1 + two.s - one.s) * difference.inverse
            let (block, fits) = x.bytes
            guard fits else { continue }
            ciphertext.replaceSubrange(16 * freeBlock..<16 * (freeBlock + 1), with: block)
            let tag1 = tag(accumulate(macBlocks(aad: aad, ciphertext: ciphertext), r: one.r), s: one.s)
            let tag2 = tag(accumulate(macBlocks(aad: aad, ciphertext: ciphertext), r: two.r), s: two.s)
            guard tag1 == tag2 else { continue }
            // The tag as libsodium computes it, by encrypting the plaintext key 1 sees.
            let sealed = Raw.encrypt(one.plaintext(of: ciphertext), aad: aad, nonce: nonce, key: key1)
            precondition(Array(sealed.prefix(ciphertext.count)) == ciphertext, "the keystream is libsodium's")
            precondition(Array(sealed.suffix(16)) == tag1, "the Poly1305 arithmetic is libsodium's")
            return Found(ciphertextAndTag: sealed, attempts: attempt)
        }
        return nil
    }

    /// (h + s) mod 2^128, little-endian.
    static func tag(_ h: Field1305, s: Field1305) -> [UInt8] {
        let (hBytes, _) = h.bytes
        let (sBytes, _) = s.bytes
        var out = [UInt8](repeating: 0, count: 16)
        var carry = 0
        for index in 0..<16 {
            let sum = Int(hBytes[index]) + Int(sBytes[index]) + carry
            out[index] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        return out
    }
}

/// Integers modulo p = 2^130 − 5, in five 26-bit limbs (little-endian), as Poly1305 uses them.
struct Field1305 {
    static let mask: UInt64 = (1 << 26) - 1
    var limbs: [UInt64]

    static let zero = Field1305(limbs: [0, 0, 0, 0, 0])
    static let one = Field1305(limbs: [1, 0, 0, 0, 0])

    init(limbs: [UInt64]) {
        precondition(limbs.count == 5)
        self.limbs = limbs
    }

    /// A 16-byte little-endian block, plus 2^128 when `highBit`.
    init(block: [UInt8], highBit: Bool) {
        precondition(block.count == 16)
        let lo = block[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let hi = block[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        limbs = [
            lo & Self.mask, (lo >> 26) & Self.mask, ((lo >> 52) | (hi << 12)) & Self.mask, (hi >> 14) & Self.mask,
            (hi >> 40) | (highBit ? 1 << 24 : 0),
        ]
    }

    /// Carries every limb into the next, the top one back into the lowest times 5 (2^130 ≡ 5),
    /// until every limb is below 2^26 (the value is then below 2^130).
    func carried() -> Field1305 {
        var l = limbs
        while true {
            for index in 0..<4 {
                l[index + 1] += l[index] >> 26
                l[index] &= Self.mask
            }
            let top = l[4] >> 26
            l[4] &= Self.mask
            l[0] += top * 5
            if top == 0 { return Field1305(limbs: l) }
        }
    }

    /// The canonical representative, in [0, p).
    func reduced() -> Field1305 {
        let h = carried()
        // h ≥ p exactly when h + 5 reaches 2^130.
        var g = h.limbs
        g[0] += 5
        for index in 0..<4 {
            g[index + 1] += g[index] >> 26
            g[index] &= Self.mask
        }
        guard g[4] >> 26 != 0 else { return h }
        g[4] &= Self.mask
        return Field1305(limbs: g)
    }

    static func + (a: Field1305, b: Field1305) -> Field1305 {
        Field1305(limbs: zip(a.carried().limbs, b.carried().limbs).map { $0 + $1 }).carried()
    }

    static func - (a: Field1305, b: Field1305) -> Field1305 {
        // a + 2p − b, with b canonical so that every limb stays non-negative.
        let twoP: [UInt64] = [2 * (mask - 4), 2 * mask, 2 * mask, 2 * mask, 2 * mask]
        let a = a.carried().limbs
        let b = b.reduced().limbs
        return Field1305(limbs: (0..<5).map { a[$0] + twoP[$0] - b[$0] }).carried()
    }

    static func * (a: Field1305, b: Field1305) -> Field1305 {
        let x = a.carried().limbs
        let y = b.carried().limbs
        var d = [UInt64](repeating: 0, count: 5)
        for i in 0..<5 {
            for j in 0..<5 {
                let product = x[i] * y[j]
                if i + j < 5 { d[i + j] += product } else { d[i + j - 5] += 5 * product }
            }
        }
        return Field1305(limbs: d).carried()
    }

    func power(_ exponent: Int) -> Field1305 {
        (0..<exponent).reduce(Field1305.one) { result, _ in result * self }
    }

    /// a^(p−2) = a^(2^130 − 7): bits 129…3 set, 2 and 1 clear, 0 set.
    var inverse: Field1305 {
        var result = Field1305.one
        for bit in stride(from: 129, through: 0, by: -1) {
            result = result * result
            if bit >= 3 || bit == 0 { result = result * self }
        }
        return result
    }

    /// The canonical value as 16 little-endian bytes, and whether it fits in them (is below 2^128).
    var bytes: (value: [UInt8], fitsIn128Bits: Bool) {
        let l = reduced().limbs
        let lo = l[0] | l[1] << 26 | l[2] << 52
        let hi = l[2] >> 12 | l[3] << 14 | l[4] << 40
        let value = withUnsafeBytes(of: lo.littleEndian) { Array($0) } + withUnsafeBytes(of: hi.littleEndian) { Array($0) }
        return (value, l[4] >> 24 == 0)
    }
}
