import Foundation

/// A C2SP signed-note verifier key for Ed25519: `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
/// The key id is the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), so a
/// signature line names both the signer and the exact key.
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    /// The signature-algorithm identifier of Ed25519 in C2SP signed-note.
    public static let ed25519Type: UInt8 = 0x01
    public static let publicKeyByteCount = 32
    public static let nameBytesMax = 256

    public let name: String
    public let keyID: [UInt8]
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) throws(NoteError) {
        guard NoteVerifierKey.isValidName(name) else { throw .invalidKeyName }
        guard publicKey.count == NoteVerifierKey.publicKeyByteCount else { throw .malformedVerifierKey("public key is not 32 bytes") }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteVerifierKey.keyID(name: name, publicKey: publicKey)
    }

    /// Parses the text form; the key id in the text must match the one derived from name and key.
    public init(parsing text: String) throws(NoteError) {
        // The name holds no '+', but base64 key data may: only the first two '+' separate fields.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedVerifierKey("expected name+keyid+key") }
        guard let keyID = Hex.decode(String(parts[1])), keyID.count == 4 else {
            throw .malformedVerifierKey("key id is not 8 hexadecimal digits")
        }
        guard let encoded = Data(base64Encoded: String(parts[2])), encoded.count == 1 + NoteVerifierKey.publicKeyByteCount else {
            throw .malformedVerifierKey("key is not base64 of 33 bytes")
        }
        guard encoded.first == NoteVerifierKey.ed25519Type else { throw .malformedVerifierKey("not an Ed25519 key") }
        try self.init(name: String(parts[0]), publicKey: Array(encoded.dropFirst()))
        guard self.keyID == keyID else { throw .malformedVerifierKey("key id does not match name and key") }
    }

    /// The text form, as auditors configure it.
    public var description: String {
        name + "+" + Hex.encode(keyID) + "+" + Data([NoteVerifierKey.ed25519Type] + publicKey).base64EncodedString()
    }

    public static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(Array(name.utf8))
        hasher.update([0x0a, NoteVerifierKey.ed25519Type])
        hasher.update(publicKey)
        return Array(hasher.finalize().prefix(4))
    }

    /// Non-empty, at most `nameBytesMax` bytes, no Unicode spaces, no `+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= nameBytesMax && !name.contains("+")
            && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String { bytes.hexString }

    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
