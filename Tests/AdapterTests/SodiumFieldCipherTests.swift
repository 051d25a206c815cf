import CSodium
import Domain
import Foundation
@testable import SodiumAdapters
import Testing

/// Field encryption with libsodium (docs/encryption.md §3–5): round trips, every way a
/// ciphertext or its binding can be wrong failing closed with its own typed error, key
/// wrapping and rewrapping, blind indexes, and the formats re-derived by hand with raw
/// libsodium calls (the figures of the known answers were computed independently, with
/// Python's hashlib BLAKE2b).
@Suite struct SodiumFieldCipherTests {
    /// The test root key: bytes 0x00 to 0x1f.
    static let rootBytes = [UInt8](0..<32)
    static let rootHex = rootBytes.hexString
    static let tenantA = TenantID(UUID(uuidString: "6f1c2d3e-0000-4000-8000-000000000001")!)
    static let tenantB = TenantID(UUID(uuidString: "6f1c2d3e-0000-4000-8000-000000000002")!)
    static let rowA = UUID(uuidString: "0190f0c4-0000-7000-8000-00000000000a")!
    static let rowB = UUID(uuidString: "0190f0c4-0000-7000-8000-00000000000b")!
    static let binding = FieldBinding(tenant: tenantA, table: "transactions", column: "counterparty_name", rowID: rowA)
    static let canary = Array("CANARY-PLAINTEXT-0f3c9a: Jane Doe, DE89370400440532013000, 64 bytes!".utf8.prefix(64))

    struct Fixture {
        let cipher: SodiumFieldCipher
        let reference: DataKeyReference
        let wrapped: WrappedDataKey
    }

    static func fixture(tenant: TenantID = tenantA, cachedKeysMax: Int = SodiumFieldCipher.cachedKeysMax) throws -> Fixture {
        let cipher = try SodiumFieldCipher(rootKey: try RootKey(hex: rootHex), cachedKeysMax: cachedKeysMax)
        let reference = DataKeyReference(id: DataKeyID(UUID()), version: 1)
        return Fixture(cipher: cipher, reference: reference, wrapped: try cipher.makeDataKey(reference, tenant: tenant, kekVersion: 1))
    }

    // MARK: Round trips

    @Test func sealsAndOpensEveryLength() throws {
        let fixture = try Self.fixture()
        for length in [0, 1, 15, 16, 17, 64, 1_000, SealedField.plaintextBytesMax] {
            let plaintext = [UInt8](repeating: 0, count: length).map { _ in UInt8.random(in: 0...255) }
            let sealed = try fixture.cipher.seal(plaintext, key: fixture.wrapped, binding: Self.binding)
            #expect(sealed.bytes.count == SealedField.overheadByteCount + length)
            #expect(sealed.bytes[0] == SealedField.format)
            #expect(sealed.keyReference == fixture.reference)
            #expect(sealed.storedKeyVersion == 1)
            #expect(try fixture.cipher.open(sealed, key: fixture.wrapped, binding: Self.binding) == plaintext)
            // A fresh cipher (nothing cached) unwraps the key itself and opens it too.
            let fresh = try SodiumFieldCipher(rootKey: try RootKey(hex: Self.rootHex))
            #expect(try fresh.open(sealed, key: fixture.wrapped, binding: Self.binding) == plaintext)
        }
    }

    @Test func sealingTwiceGivesDifferentCiphertexts() throws {
        let fixture = try Self.fixture()
        let first = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        let second = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        #expect(first.bytes[0..<53] == second.bytes[0..<53], "same key, same header")
        #expect(first.bytes[53..<77] != second.bytes[53..<77], "random nonces")
        #expect(first.bytes[77...] != second.bytes[77...])
    }

    @Test func refusesATooLargePlaintext() throws {
        let fixture = try Self.fixture()
        let plaintext = [UInt8](repeating: 7, count: SealedField.plaintextBytesMax + 1)
        #expect(throws: FieldCipherError.plaintextTooLarge(bytes: SealedField.plaintextBytesMax + 1)) {
            try fixture.cipher.seal(plaintext, key: fixture.wrapped, binding: Self.binding)
        }
    }

    @Test func keepsWorkingWhenTheKeyCacheEvicts() throws {
        let cipher = try SodiumFieldCipher(rootKey: try RootKey(hex: Self.rootHex), cachedKeysMax: 2)
        let keys = try (1...7).map { n in
            try cipher.makeDataKey(DataKeyReference(id: DataKeyID(UUID()), version: UInt32(n)), tenant: Self.tenantA, kekVersion: 1)
        }
        var sealed: [SealedField] = []
        for round in 0..<3 {
            for (n, key) in keys.enumerated() {
                let plaintext = Array("value \(n)".utf8)
                if round == 0 { sealed.append(try cipher.seal(plaintext, key: key, binding: Self.binding)) }
                #expect(try cipher.open(sealed[n], key: key, binding: Self.binding) == plaintext)
            }
        }
    }

    // MARK: Failing closed

    @Test func aCiphertextOpensOnlyForItsOwnBinding() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        let elsewhere = [
            FieldBinding(tenant: Self.tenantA, table: "transactions", column: "counterparty_name", rowID: Self.rowB),  // row swap
            FieldBinding(tenant: Self.tenantA, table: "transactions", column: "counterparty_account", rowID: Self.rowA),  // column swap
            FieldBinding(tenant: Self.tenantA, table: "accounts", column: "counterparty_name", rowID: Self.rowA),  // table swap
            FieldBinding(tenant: Self.tenantB, table: "transactions", column: "counterparty_name", rowID: Self.rowA),  // tenant swap
        ]
        for binding in elsewhere {
            #expect(throws: FieldCipherError.authenticationFailed) { try fixture.cipher.open(sealed, key: fixture.wrapped, binding: binding) }
        }
        // Sealed elsewhere in the tenant, it does not open here either; a tenant's key refuses to
        // seal for another tenant at all.
        for binding in elsewhere where binding.tenant == Self.tenantA {
            let other = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: binding)
            #expect(throws: FieldCipherError.authenticationFailed) { try fixture.cipher.open(other, key: fixture.wrapped, binding: Self.binding) }
        }
        #expect(throws: FieldCipherError.keyMismatch) {
            try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: elsewhere[3])
        }
    }

    @Test func aCiphertextOpensOnlyWithItsOwnKey() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        // Another key: the header names another key.
        let other = try fixture.cipher.makeDataKey(DataKeyReference(id: DataKeyID(UUID()), version: 1), tenant: Self.tenantA, kekVersion: 1)
        #expect(throws: FieldCipherError.keyMismatch) { try fixture.cipher.open(sealed, key: other, binding: Self.binding) }
        // The same id at another version.
        let nextVersion = try fixture.cipher.makeDataKey(
            DataKeyReference(id: fixture.reference.id, version: 2), tenant: Self.tenantA, kekVersion: 1
        )
        #expect(throws: FieldCipherError.keyMismatch) { try fixture.cipher.open(sealed, key: nextVersion, binding: Self.binding) }
        // Another key under the very same reference (a replaced wrapped key): its commitment differs.
        let impostor = try fixture.cipher.makeDataKey(fixture.reference, tenant: Self.tenantA, kekVersion: 1)
        #expect(throws: FieldCipherError.keyCommitmentMismatch) { try fixture.cipher.open(sealed, key: impostor, binding: Self.binding) }
        // A header whose version field is 0 (no seal writes one) names no key.
        var bytes = sealed.bytes
        bytes.replaceSubrange(17..<21, with: [0, 0, 0, 0])
        #expect(throws: FieldCipherError.keyMismatch) { try fixture.cipher.open(try SealedField(bytes: bytes), key: fixture.wrapped, binding: Self.binding) }
    }

    /// Every bit of a sealed field flipped in turn: each fails closed, with the error of the
    /// part it hit.
    @Test func everyFlippedBitFailsClosedWithItsOwnError() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        let tagStart = sealed.bytes.count - SealedField.tagByteCount
        for offset in sealed.bytes.indices {
            let expected: FieldCipherError = switch offset {
            case 0: .malformed  // format byte
            case 1..<21: .keyMismatch  // key id, key version
            case 21..<53: .keyCommitmentMismatch
            default: .authenticationFailed  // nonce (53..<77), ciphertext, tag (tagStart...)
            }
            for bit in 0..<8 {
                var bytes = sealed.bytes
                bytes[offset] ^= 1 << bit
                let region = offset < 53 ? "header" : offset < 77 ? "nonce" : offset < tagStart ? "body" : "tag"
                #expect(throws: expected, "\(region) byte \(offset) bit \(bit)") {
                    try fixture.cipher.open(try SealedField(bytes: bytes), key: fixture.wrapped, binding: Self.binding)
                }
            }
        }
    }

    @Test func truncatedOrExtendedCiphertextsFailClosed() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        for length in 0..<sealed.bytes.count {
            let bytes = Array(sealed.bytes.prefix(length))
            if length < SealedField.overheadByteCount {
                #expect(throws: FieldCipherError.malformed, "length \(length)") { try SealedField(bytes: bytes) }
            } else {
                #expect(throws: FieldCipherError.authenticationFailed, "length \(length)") {
                    try fixture.cipher.open(try SealedField(bytes: bytes), key: fixture.wrapped, binding: Self.binding)
                }
            }
        }
        #expect(throws: FieldCipherError.authenticationFailed) {
            try fixture.cipher.open(try SealedField(bytes: sealed.bytes + [0]), key: fixture.wrapped, binding: Self.binding)
        }
        #expect(throws: FieldCipherError.malformed) {
            try SealedField(bytes: [UInt8](repeating: 1, count: SealedField.overheadByteCount + SealedField.plaintextBytesMax + 1))
        }
    }

    @Test func aDataKeyUnwrapsOnlyUnderItsOwnRootKeyTenantAndVersions() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        let stranger = try SodiumFieldCipher(rootKey: try RootKey.generate())
        #expect(throws: FieldCipherError.keyUnwrapFailed) { try stranger.open(sealed, key: fixture.wrapped, binding: Self.binding) }
        #expect(throws: FieldCipherError.keyUnwrapFailed) { try stranger.seal(Self.canary, key: fixture.wrapped, binding: Self.binding) }
        #expect(throws: FieldCipherError.keyUnwrapFailed) { try stranger.rewrap(fixture.wrapped, toKEKVersion: 2) }
        // Relabelled: the wrapped bytes claimed for another tenant, KEK version or key version.
        let w = fixture.wrapped
        let relabelled = [
            WrappedDataKey(reference: w.reference, tenant: Self.tenantB, kekVersion: w.kekVersion, bytes: w.bytes),
            WrappedDataKey(reference: w.reference, tenant: w.tenant, kekVersion: 2, bytes: w.bytes),
            WrappedDataKey(reference: DataKeyReference(id: w.reference.id, version: 2), tenant: w.tenant, kekVersion: 1, bytes: w.bytes),
            WrappedDataKey(reference: DataKeyReference(id: DataKeyID(UUID()), version: 1), tenant: w.tenant, kekVersion: 1, bytes: w.bytes),
        ]
        for key in relabelled {
            // Bound to the claimed tenant, so that the unwrap is what refuses.
            let binding = FieldBinding(tenant: key.tenant, table: Self.binding.table, column: Self.binding.column, rowID: Self.binding.rowID)
            #expect(throws: FieldCipherError.keyUnwrapFailed) { try fixture.cipher.seal(Self.canary, key: key, binding: binding) }
        }
        // Every flipped bit of the wrapped bytes, and every wrong length.
        for offset in w.bytes.indices {
            var bytes = w.bytes
            bytes[offset] ^= 0x10
            let key = WrappedDataKey(reference: w.reference, tenant: w.tenant, kekVersion: w.kekVersion, bytes: bytes)
            #expect(throws: FieldCipherError.keyUnwrapFailed, "byte \(offset)") { try fixture.cipher.open(sealed, key: key, binding: Self.binding) }
        }
        for length in [0, 8, 71, 73] {
            let key = WrappedDataKey(
                reference: w.reference, tenant: w.tenant, kekVersion: w.kekVersion, bytes: Array((w.bytes + [0]).prefix(length))
            )
            #expect(throws: FieldCipherError.keyUnwrapFailed, "length \(length)") { try fixture.cipher.open(sealed, key: key, binding: Self.binding) }
        }
    }

    @Test func rewrappingKeepsTheKey() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        let rewrapped = try fixture.cipher.rewrap(fixture.wrapped, toKEKVersion: 2)
        #expect(rewrapped.kekVersion == 2)
        #expect(rewrapped.reference == fixture.wrapped.reference && rewrapped.tenant == fixture.wrapped.tenant)
        #expect(rewrapped.bytes.count == WrappedDataKey.byteCount && rewrapped.bytes != fixture.wrapped.bytes)
        // By hand: the same key bytes, under KEK v2 now.
        let original = try #require(Raw.unwrap(fixture.wrapped, root: Self.rootBytes))
        #expect(Raw.unwrap(rewrapped, root: Self.rootBytes) == original)
        // A fresh cipher (nothing cached) opens the old ciphertext with the rewrapped key, and
        // what it seals with the rewrapped key the original opens.
        let fresh = try SodiumFieldCipher(rootKey: try RootKey(hex: Self.rootHex))
        #expect(try fresh.open(sealed, key: rewrapped, binding: Self.binding) == Self.canary)
        let resealed = try fresh.seal(Self.canary, key: rewrapped, binding: Self.binding)
        #expect(try SodiumFieldCipher(rootKey: try RootKey(hex: Self.rootHex)).open(resealed, key: fixture.wrapped, binding: Self.binding) == Self.canary)
        // And back again.
        let back = try fresh.rewrap(rewrapped, toKEKVersion: 1)
        #expect(Raw.unwrap(back, root: Self.rootBytes) == original)
    }

    // MARK: The formats, by hand

    @Test func derivationsMatchIndependentlyComputedValues() throws {
        // Known answers computed with Python's hashlib.blake2b (keyed, 32-byte digests).
        #expect(try RootKey(hex: Self.rootHex).fingerprint == "23088d2102d21062")
        #expect(RootKey.development.fingerprint == "72286b2a8800750c")
        #expect(Raw.kek(root: Self.rootBytes, tenant: Self.tenantA, version: 1).hexString
            == "3425256b6e262bbde11416d1b86a1452985baab5511f8c7c77ef5edf9ac29464")
        #expect(Raw.kek(root: Self.rootBytes, tenant: Self.tenantA, version: 2).hexString
            == "d363df9ef05a8b9bf1bae28b968b5d42220164e5fe3752612b7c47e1324cad41")
        #expect(Raw.commitment(of: [UInt8](32..<64)).hexString == "d0d21a92aad5890fee920fa4cb10c70962d09bc5f26449c24f7af4ceb3533cdf")
    }

    /// A field the cipher sealed, opened by hand: KEK, unwrap, commitment, AEAD, from the spec.
    @Test func aSealedFieldOpensByHand() throws {
        let fixture = try Self.fixture()
        let sealed = try fixture.cipher.seal(Self.canary, key: fixture.wrapped, binding: Self.binding)
        let key = try #require(Raw.unwrap(fixture.wrapped, root: Self.rootBytes))
        #expect(Array(sealed.bytes[1..<17]) == Raw.bytes(of: fixture.reference.id.rawValue))
        #expect(Array(sealed.bytes[17..<21]) == [0, 0, 0, 1])
        #expect(Array(sealed.bytes[21..<53]) == Raw.commitment(of: key))
        #expect(Raw.openField(sealed.bytes, key: key, binding: Self.binding) == Self.canary)
    }

    /// A field sealed by hand, under a data key wrapped by hand, opens with the cipher.
    @Test func aFieldSealedByHandOpens() throws {
        let cipher = try SodiumFieldCipher(rootKey: try RootKey(hex: Self.rootHex))
        let dataKey = [UInt8](32..<64)
        let reference = DataKeyReference(id: DataKeyID(UUID()), version: 3)
        let wrapped = Raw.wrap(dataKey, root: Self.rootBytes, reference: reference, tenant: Self.tenantA, kekVersion: 2)
        let sealed = Raw.sealField(Self.canary, key: dataKey, reference: reference, binding: Self.binding)
        #expect(try cipher.open(try SealedField(bytes: sealed), key: wrapped, binding: Self.binding) == Self.canary)
        // And the cipher's own seal with that wrapped key carries the known commitment.
        let own = try cipher.seal([], key: wrapped, binding: Self.binding)
        #expect(Array(own.bytes[21..<53]).hexString == "d0d21a92aad5890fee920fa4cb10c70962d09bc5f26449c24f7af4ceb3533cdf")
    }

    // MARK: Blind indexes

    @Test func blindIndexValuesMatchIndependentlyComputedValues() throws {
        let indexer = try SodiumBlindIndexer(rootKey: try RootKey(hex: Self.rootHex))
        // Known answers computed with Python's hashlib.blake2b (crypto_kdf_derive_from_key is
        // BLAKE2b keyed with the tenant root, salt = subkey id LE ‖ 0⁸, personal = context ‖ 0⁸).
        #expect(indexer.value(of: [Array("jane doe".utf8)], in: .counterpartyName, tenant: Self.tenantA) == 2_526_105)
        let compound = BlindIndex(number: 7, table: "transactions", column: "compound", bits: 32)
        #expect(indexer.value(of: [Array("abc".utf8), Array("de".utf8)], in: compound, tenant: Self.tenantA) == 999_321_216)
        let narrow = BlindIndex(number: 1, table: "transactions", column: "narrow", bits: 5)
        #expect(indexer.value(of: [Array("x".utf8)], in: narrow, tenant: Self.tenantA) == 24)
        // The same by hand with raw libsodium.
        #expect(Raw.blindIndex([Array("jane doe".utf8)], number: 2, bits: 22, tenant: Self.tenantA, root: Self.rootBytes) == 2_526_105)
        #expect(Raw.blindIndexKey(number: 1, tenant: Self.tenantA, root: Self.rootBytes).hexString
            == "2d97e63d7c5d3e4a5a2a4f65548281c45cc5c67ebb7e499c2f8679b95636fbc9")
    }

    @Test func blindIndexValuesFindEqualValuesOnly() throws {
        let indexer = try SodiumBlindIndexer(rootKey: try RootKey(hex: Self.rootHex))
        let index = BlindIndex.counterpartyName
        let value = { (text: String, tenant: TenantID) in indexer.value(of: [BlindIndex.normalize(text)], in: index, tenant: tenant) }
        #expect(value("  Jane\tDOE ", Self.tenantA) == value("jane doe", Self.tenantA))
        #expect(value("Zoë", Self.tenantA) == value("ZOE\u{308}", Self.tenantA), "NFC")
        #expect(value("jane doe", Self.tenantA) != value("jane doe", Self.tenantB), "tenants have their own keys")
        let otherIndex = BlindIndex(number: 99, table: "transactions", column: "counterparty_name", bits: index.bits)
        #expect(indexer.value(of: [BlindIndex.normalize("jane doe")], in: otherIndex, tenant: Self.tenantA)
            != value("jane doe", Self.tenantA), "indexes have their own keys")
        // Another instance with the same root key agrees; another root key does not.
        let again = try SodiumBlindIndexer(rootKey: try RootKey(hex: Self.rootHex))
        #expect(again.value(of: [BlindIndex.normalize("jane doe")], in: index, tenant: Self.tenantA) == value("jane doe", Self.tenantA))
        let stranger = try SodiumBlindIndexer(rootKey: try RootKey.generate())
        let full = BlindIndex(number: 2, table: "transactions", column: "counterparty_name", bits: 32)
        #expect(stranger.value(of: [BlindIndex.normalize("jane doe")], in: full, tenant: Self.tenantA)
            != indexer.value(of: [BlindIndex.normalize("jane doe")], in: full, tenant: Self.tenantA))
        // A compound value is not the concatenation: the lengths are hashed too.
        let compound = BlindIndex(number: 3, table: "transactions", column: "compound", bits: 32)
        #expect(indexer.value(of: [Array("ab".utf8), Array("c".utf8)], in: compound, tenant: Self.tenantA)
            != indexer.value(of: [Array("a".utf8), Array("bc".utf8)], in: compound, tenant: Self.tenantA))
    }

    @Test func blindIndexValuesKeepTheirBits() throws {
        let indexer = try SodiumBlindIndexer(rootKey: try RootKey(hex: Self.rootHex), cachedKeysMax: 4)
        for bits in 1...32 {
            let index = BlindIndex(number: UInt64(bits), table: "transactions", column: "counterparty_name", bits: bits)
            var seen = Set<UInt32>()
            for n in 0..<200 {
                let value = indexer.value(of: [Array("value \(n)".utf8)], in: index, tenant: Self.tenantA)
                #expect(UInt64(value) < UInt64(1) << UInt64(bits), "bits \(bits)")
                seen.insert(value)
            }
            if bits <= 4 { #expect(seen.count == 1 << bits, "bits \(bits): every value is used") }
            if bits == 32 { #expect(seen.count >= 199, "bits 32: values spread") }
        }
    }

    // MARK: No secrets in messages

    @Test func noKeyOrPlaintextInErrorsOrDescriptions() throws {
        let rootKey = try RootKey(hex: Self.rootHex)
        let cipher = try SodiumFieldCipher(rootKey: rootKey)
        let indexer = try SodiumBlindIndexer(rootKey: rootKey)
        let reference = DataKeyReference(id: DataKeyID(UUID()), version: 1)
        let wrapped = try cipher.makeDataKey(reference, tenant: Self.tenantA, kekVersion: 1)
        let dataKey = try #require(Raw.unwrap(wrapped, root: Self.rootBytes))
        let sealed = try cipher.seal(Self.canary, key: wrapped, binding: Self.binding)
        _ = indexer.value(of: [Self.canary], in: .counterpartyName, tenant: Self.tenantA)

        var texts: [String] = [
            String(describing: rootKey), String(reflecting: rootKey), "\(rootKey)",
            String(describing: cipher), String(reflecting: cipher), String(describing: indexer), String(reflecting: indexer),
            String(describing: RootKey.development), String(reflecting: RootKey.development),
        ]
        for subject in [rootKey, RootKey.development] as [Any] + [cipher, indexer] {
            var dumped = ""
            dump(subject, to: &dumped)
            texts.append(dumped)
        }
        let fieldErrors: [FieldCipherError] = [
            .malformed, .keyMismatch, .keyCommitmentMismatch, .authenticationFailed, .keyUnwrapFailed, .plaintextTooLarge(bytes: 5_000),
        ]
        let keyErrors: [RootKey.Failure] = [.malformedText, .malformed(path: "/k"), .tooOpen(path: "/k"), .notOwned(path: "/k")]
        var errors: [any Error] = fieldErrors + keyErrors
        // Errors as they are really thrown.
        let stranger = try SodiumFieldCipher(rootKey: try RootKey.generate())
        for attempt in [
            { _ = try stranger.open(sealed, key: wrapped, binding: Self.binding) },
            { _ = try cipher.open(sealed, key: wrapped, binding: FieldBinding(tenant: Self.tenantB, table: "t", column: "c", rowID: Self.rowA)) },
            { _ = try cipher.seal(Self.canary + [UInt8](repeating: 0, count: 4_096), key: wrapped, binding: Self.binding) },
            { _ = try RootKey(hex: Self.rootHex + "0") },
            { _ = try RootKey(hex: String(Self.rootHex.dropLast()) + "g") },
        ] as [() throws -> Void] {
            do { try attempt() } catch { errors.append(error) }
        }
        #expect(errors.count == 15)
        for error in errors {
            texts += [String(describing: error), String(reflecting: error), error.localizedDescription]
        }
        let secrets = [
            Self.rootHex, Self.rootHex.uppercased(), dataKey.hexString, dataKey.hexString.uppercased(),
            String(decoding: Self.canary, as: UTF8.self), Self.canary.hexString, "Jane Doe", "DE89370400440532013000",
            Array("custos development root key v1!!".utf8).hexString, "custos development root key v1!!",
        ]
        for text in texts {
            for secret in secrets {
                #expect(!text.contains(secret), "\(text.prefix(120))")
            }
            // No run of 32 or more hex digits at all (no key in any encoding of it).
            #expect(text.firstMatch(of: /[0-9a-fA-F]{32,}/) == nil, "\(text.prefix(120))")
        }
        #expect(String(describing: rootKey).contains(rootKey.fingerprint))
    }
}
