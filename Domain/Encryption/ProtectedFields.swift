import Foundation

/// The identity of one data key: one version of one subject's key. docs/encryption.md §3.
public enum DataKeyTag {}
public typealias DataKeyID = Identifier<DataKeyTag>

/// Names a data key in a ciphertext's header: its id and version. Never holds key material.
public struct DataKeyReference: Hashable, Sendable {
    public let id: DataKeyID
    public let version: UInt32

    public init(id: DataKeyID, version: UInt32) {
        precondition(version >= 1, "data key versions count from 1")
        self.id = id
        self.version = version
    }
}

/// Whose personal data a data key protects (docs/encryption.md §3): for a transaction, the holder
/// of its account (`accountID`). Shredding a subject destroys its data keys, which erases every
/// field they protect. The id is the tenant's own account identifier, so it follows its rule.
public struct DataSubject: Hashable, Sendable, CustomStringConvertible {
    public let tenant: TenantID
    public let id: AccountIdentifier

    public init(tenant: TenantID, id: AccountIdentifier) {
        self.tenant = tenant
        self.id = id
    }

    public var description: String { "\(tenant)/\(id)" }
}

/// A data key as stored: encrypted ("wrapped") under one version of its tenant's key-encryption
/// key. The bytes are opaque to the core (format: docs/encryption.md §3.3).
public struct WrappedDataKey: Hashable, Sendable {
    public static let byteCount = 72
    public let reference: DataKeyReference
    public let tenant: TenantID
    public let kekVersion: UInt32
    public let bytes: [UInt8]

    public init(reference: DataKeyReference, tenant: TenantID, kekVersion: UInt32, bytes: [UInt8]) {
        precondition(kekVersion >= 1, "key-encryption key versions count from 1")
        self.reference = reference
        self.tenant = tenant
        self.kekVersion = kekVersion
        self.bytes = bytes
    }
}

/// Where a protected value lives. Bound into the ciphertext's associated data, so a ciphertext
/// copied to another tenant, table, column or row does not open (docs/encryption.md §4.2).
public struct FieldBinding: Hashable, Sendable {
    public static let nameBytesMax = 63
    public let tenant: TenantID
    public let table: String
    public let column: String
    public let rowID: UUID

    public init(tenant: TenantID, table: String, column: String, rowID: UUID) {
        precondition(FieldBinding.isValidName(table) && FieldBinding.isValidName(column), "table and column are 1 to 63 of a-z 0-9 _")
        self.tenant = tenant
        self.table = table
        self.column = column
        self.rowID = rowID
    }

    static func isValidName(_ name: String) -> Bool {
        (1...nameBytesMax).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }

    /// The binding part of the associated data (docs/encryption.md §4.2), for a key version:
    /// "custos field v1" ‖ tenant (16) ‖ u8 table length ‖ table ‖ u8 column length ‖ column ‖
    /// row id (16) ‖ key version (uint32 big-endian).
    public func associatedData(keyVersion: UInt32) -> [UInt8] {
        var bytes = Array("custos field v1".utf8)
        bytes.reserveCapacity(bytes.count + 16 + 2 + table.utf8.count + column.utf8.count + 16 + 4)
        withUnsafeBytes(of: tenant.rawValue.uuid) { bytes += $0 }
        bytes.append(UInt8(table.utf8.count))
        bytes += table.utf8
        bytes.append(UInt8(column.utf8.count))
        bytes += column.utf8
        withUnsafeBytes(of: rowID.uuid) { bytes += $0 }
        withUnsafeBytes(of: keyVersion.bigEndian) { bytes += $0 }
        return bytes
    }
}

/// A sealed field value in the ciphertext format of docs/encryption.md §4.1:
///
///     offset  0  format byte, 0x01
///     offset  1  data key id, 16 bytes (UUID)
///     offset 17  data key version, uint32 big-endian
///     offset 21  key commitment, 32 bytes: BLAKE2b-256(key = data key, "custos key commitment v1")
///     offset 53  nonce, 24 random bytes
///     offset 77  XChaCha20-Poly1305 (IETF) ciphertext of the plaintext, then its 16-byte tag
///
/// The first 53 bytes are the header; the associated data is the header followed by the
/// binding (`FieldBinding.associatedData`).
public struct SealedField: Hashable, Sendable {
    public static let format: UInt8 = 0x01
    public static let headerByteCount = 53
    public static let nonceByteCount = 24
    public static let tagByteCount = 16
    public static let overheadByteCount = headerByteCount + nonceByteCount + tagByteCount
    /// The largest plaintext a field may hold.
    public static let plaintextBytesMax = 4_096

    public let bytes: [UInt8]

    /// Checks the framing only (format byte, length); whether it opens is the cipher's business.
    public init(bytes: [UInt8]) throws(FieldCipherError) {
        guard bytes.count >= SealedField.overheadByteCount,
              bytes.count <= SealedField.overheadByteCount + SealedField.plaintextBytesMax,
              bytes[0] == SealedField.format
        else { throw .malformed }
        self.bytes = bytes
    }

    /// The data key the header names.
    public var keyReference: DataKeyReference {
        let id = bytes.withUnsafeBytes { raw in
            UUID(uuid: raw.loadUnaligned(fromByteOffset: 1, as: uuid_t.self))
        }
        let version = bytes[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        // A version 0 header cannot come from a seal; it opens with no key.
        return DataKeyReference(id: DataKeyID(id), version: max(version, 1))
    }

    /// The header's version field as stored (0 is invalid and never matches a key).
    public var storedKeyVersion: UInt32 { bytes[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
}

/// Why a field could not be sealed or opened. Every case fails closed: no partial plaintext, and
/// no message carries key material or plaintext.
public enum FieldCipherError: DomainError, Equatable, CustomStringConvertible {
    /// Not a ciphertext of a known format (too short, too long, unknown format byte).
    case malformed
    /// The header names a key other than the one offered (or a version that is not the key's).
    case keyMismatch
    /// The header's key commitment is not the offered key's: the ciphertext was made (or crafted)
    /// for another key.
    case keyCommitmentMismatch
    /// The AEAD tag did not verify: wrong key, wrong binding (row, column, table or tenant), or
    /// changed bytes.
    case authenticationFailed
    /// The wrapped data key did not unwrap under its tenant's key-encryption key (wrong root key,
    /// or changed bytes).
    case keyUnwrapFailed
    /// The plaintext is longer than `SealedField.plaintextBytesMax`.
    case plaintextTooLarge(bytes: Int)

    public var slug: String {
        switch self {
        case .plaintextTooLarge: "field-too-large"
        case .keyUnwrapFailed: "data-key-unavailable"
        default: "field-undecryptable"
        }
    }

    public var description: String {
        switch self {
        case .malformed: "not a sealed field of a known format"
        case .keyMismatch: "the ciphertext names another data key"
        case .keyCommitmentMismatch: "the ciphertext's key commitment is not the data key's"
        case .authenticationFailed: "the ciphertext does not authenticate for this key and binding"
        case .keyUnwrapFailed: "the data key does not unwrap under its key-encryption key"
        case .plaintextTooLarge(let bytes): "a field holds at most \(SealedField.plaintextBytesMax) bytes, not \(bytes)"
        }
    }
}

/// Port: authenticated, key-committing encryption of single field values, and the data keys it
/// uses. Key material never leaves the adapter: the core handles wrapped keys and ciphertexts.
public protocol FieldCipher: Sendable {
    /// A new random data key, wrapped under version `kekVersion` of `tenant`'s key-encryption key.
    func makeDataKey(_ reference: DataKeyReference, tenant: TenantID, kekVersion: UInt32) throws(FieldCipherError) -> WrappedDataKey
    /// The same data key, wrapped under another version of its tenant's key-encryption key.
    func rewrap(_ key: WrappedDataKey, toKEKVersion kekVersion: UInt32) throws(FieldCipherError) -> WrappedDataKey
    /// Seals `plaintext` (at most `SealedField.plaintextBytesMax` bytes) under `key`, bound to `binding`.
    func seal(_ plaintext: [UInt8], key: WrappedDataKey, binding: FieldBinding) throws(FieldCipherError) -> SealedField
    /// Opens `sealed`, which must name `key` and have been sealed for `binding`.
    func open(_ sealed: SealedField, key: WrappedDataKey, binding: FieldBinding) throws(FieldCipherError) -> [UInt8]
}

/// A blind index: a keyed hash of a normalised value, truncated so that equal values can be
/// found without the database learning them (docs/encryption.md §5).
public struct BlindIndex: Hashable, Sendable {
    /// The index's number: its key is derived with this subkey id.
    public let number: UInt64
    public let table: String
    public let column: String
    /// Bits kept of the keyed hash, from the coincidence estimate of docs/encryption.md §5.2.
    public let bits: Int

    public init(number: UInt64, table: String, column: String, bits: Int) {
        precondition((1...32).contains(bits), "a blind index keeps 1 to 32 bits")
        precondition(FieldBinding.isValidName(table) && FieldBinding.isValidName(column))
        self.number = number
        self.table = table
        self.column = column
        self.bits = bits
    }

    /// The number of bits for an index expected to hold up to `rowsMax` rows per tenant, by
    /// CipherSweet's coincidence rule: the most bits for which rows / 2^bits stays at least 2
    /// (every index value is shared by about two rows or more, so a value does not single out a
    /// row), capped at 32; rows / 2^bits then stays below √rows for any rowsMax of 16 or more,
    /// so a lookup reads few false positives.
    public static func bits(rowsMax: UInt64) -> Int {
        precondition(rowsMax >= 16, "the estimate needs at least 16 rows")
        let halved = rowsMax / 2
        let bits = UInt64.bitWidth - 1 - halved.leadingZeroBitCount  // floor(log2(rowsMax / 2))
        return min(bits, 32)
    }

    /// Rows per tenant the transaction indexes are sized for.
    public static let transactionRowsMax: UInt64 = 10_000_000
    public static let counterpartyAccount = BlindIndex(
        number: 1, table: "transactions", column: "counterparty_account", bits: bits(rowsMax: transactionRowsMax)
    )
    public static let counterpartyName = BlindIndex(
        number: 2, table: "transactions", column: "counterparty_name", bits: bits(rowsMax: transactionRowsMax)
    )

    /// The documented normalisation (docs/encryption.md §5.1): Unicode NFC, lower case, white
    /// space trimmed at both ends and every inner run of it replaced by one space (U+0020), NFC
    /// again; as UTF-8.
    public static func normalize(_ value: String) -> [UInt8] {
        let lowered = value.precomposedStringWithCanonicalMapping.lowercased()
        var out = ""
        var pendingSpace = false
        for scalar in lowered.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.unicodeScalars.append(" ")
                pendingSpace = false
            }
            out.unicodeScalars.append(scalar)
        }
        return Array(out.precomposedStringWithCanonicalMapping.utf8)
    }
}

/// Port: computes blind-index values with keys derived inside the adapter.
public protocol BlindIndexer: Sendable {
    /// The index value of `components` (each already normalised with `BlindIndex.normalize`; more
    /// than one for a compound index), for `tenant`: the keyed hash's first `index.bits` bits.
    func value(of components: [[UInt8]], in index: BlindIndex, tenant: TenantID) -> UInt32
}
