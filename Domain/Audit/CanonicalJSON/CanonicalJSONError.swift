/// Why `CanonicalJSON.parse(_:)` refused its input, and where.
///
/// `line` and `column` start at 1. Only LF (U+000A) starts a new line; `column` counts characters
/// (UTF-8 sequences), not bytes. `offset` is the 0-based byte offset of the same place.
public struct CanonicalJSONError: DomainError, Hashable, CustomStringConvertible {
    /// The class of error, stable for tests and callers; `reason` is for people.
    public enum Kind: String, Hashable, Sendable {
        /// The input is larger than `CanonicalJSON.bytesMax`.
        case tooLarge
        /// Arrays and objects nest deeper than `CanonicalJSON.depthMax`.
        case tooDeep
        /// The input ends inside a value.
        case unexpectedEnd
        /// A byte that the grammar does not allow here.
        case unexpectedCharacter
        /// Something other than whitespace follows the value.
        case trailingData
        /// A misspelt `true`, `false` or `null`.
        case invalidLiteral
        /// A number that breaks the RFC 8259 grammar (`01`, `-`, `1.`, `1e`).
        case invalidNumber
        /// A well-formed number with a fraction or an exponent (`1.0`, `1e2`).
        case numberNotInteger
        /// An integer outside ±(2^53 − 1).
        case numberOutOfRange
        /// A backslash escape that JSON does not define, or a bad `\u` escape.
        case invalidEscape
        /// A `\u` escape of a surrogate that is not half of a pair.
        case unpairedSurrogate
        /// A raw control character (U+0000–U+001F) inside a string.
        case controlCharacter
        /// Bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// A member name that occurs twice in one object.
        case duplicateName
    }

    /// The class of error.
    public let kind: Kind
    /// 1-based line of the offending place.
    public let line: Int
    /// 1-based column, in characters, of the offending place.
    public let column: Int
    /// 0-based byte offset of the offending place.
    public let offset: Int
    /// A short explanation for people, e.g. `number 1.5 has a fraction: …`.
    public let reason: String


    public init(kind: Kind, line: Int, column: Int, offset: Int, reason: String) {
        precondition(line >= 1 && column >= 1 && offset >= 0, "positions start at line 1, column 1, offset 0")
        self.kind = kind
        self.line = line
        self.column = column
        self.offset = offset
        self.reason = reason
    }

    /// One slug for every kind: the input is not acceptable canonical JSON.
    public var slug: String { "invalid-canonical-json" }

    /// `line:column: reason`.
    public var description: String { "\(line):\(column): \(reason)" }
}

extension CanonicalJSONError {
    /// An error at byte `offset` of `bytes`, with its line and column worked out.
    init(kind: Kind, reason: String, in bytes: [UInt8], at offset: Int) {
        precondition(offset >= 0 && offset <= bytes.count, "error offset inside the input")
        var line = 1
        var column = 1
        for byte in bytes[..<offset] {
            if byte == CanonicalJSON.Byte.lineFeed {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1  // count lead bytes only: one column per character
            }
        }
        self.init(kind: kind, line: line, column: column, offset: offset, reason: reason)
    }
}
