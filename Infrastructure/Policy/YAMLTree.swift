/// How a scalar was written, which decides how its text maps back to the file.
enum YAMLScalarStyle: Sendable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    var isPlain: Bool { self == .plain }
}

/// A scalar as written: its text after YAML unquoting and folding, and where it starts (for a
/// quoted scalar, its opening quote; for a block scalar, its `|` or `>`).
struct YAMLScalar: Sendable {
    let text: String
    let style: YAMLScalarStyle
    let position: TextPosition
}

/// One key and its value; keys are scalars (anything else is refused when reading).
struct YAMLPair: Sendable {
    let key: YAMLScalar
    let value: YAMLNode
}

/// A YAML document reduced to what a policy file may use: scalars, sequences and mappings
/// (pairs in file order), each with its place in the file. Anchors, aliases, tags and merge
/// keys never reach this tree.
indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], TextPosition)
    case mapping([YAMLPair], TextPosition)

    var position: TextPosition {
        switch self {
        case .scalar(let scalar): scalar.position
        case .sequence(_, let position), .mapping(_, let position): position
        }
    }

    /// What the node is, for "expected …, found …" messages. Long strings are cut short.
    var kindDescription: String {
        switch self {
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        case .scalar(let scalar):
            switch CoreScalar(scalar) {
            case .null: return "null"
            case .bool(let value): return "the boolean \(value)"
            case .integer, .integerOutOfRange: return "the integer \(scalar.text)"
            case .float: return "the float \(scalar.text)"
            case .string(let text):
                let shown = text.unicodeScalars.count > 40 ? String(text.unicodeScalars.prefix(40)) + "…" : text
                let quoted = scalar.style.isPlain ? "" : " (a quoted or block scalar is always a string)"
                return "the string '\(shown)'\(quoted)"
            }
        }
    }
}

/// A scalar read under the YAML 1.2 core schema: quoted and block scalars are strings; a plain
/// scalar is `null` (`null`, `Null`, `NULL`, `~`, nothing), a boolean (`true`, `True`, `TRUE`,
/// `false`, …), an integer (`[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`), a float
/// (`1.5`, `1e3`, `.inf`, `.nan`) or else a string. So `yes`, `no`, `on`, `off` and dates are strings.
enum CoreScalar: Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    /// An integer that does not fit in 64 bits.
    case integerOutOfRange
    case float
    case string(String)

    init(_ scalar: YAMLScalar) {
        let text = scalar.text
        guard scalar.style.isPlain else {
            self = .string(text)
            return
        }
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE": self = .bool(true)
        case "false", "False", "FALSE": self = .bool(false)
        default:
            if let integer = Self.integer(text) {
                self = integer.map(CoreScalar.integer) ?? .integerOutOfRange
            } else if Self.isFloat(text) {
                self = .float
            } else {
                self = .string(text)
            }
        }
    }

    /// `nil` when `text` is not an integer; `.some(nil)` when it is one beyond 64 bits.
    private static func integer(_ text: String) -> Int64?? {
        let utf8 = Array(text.utf8)
        func digits(_ slice: ArraySlice<UInt8>, radix: Int, allowed: (UInt8) -> Bool) -> Int64?? {
            guard !slice.isEmpty, slice.allSatisfy(allowed) else { return nil }
            return .some(Int64(String(decoding: slice, as: UTF8.self), radix: radix))
        }
        if utf8.starts(with: Array("0o".utf8)) { return digits(utf8.dropFirst(2), radix: 8) { (0x30...0x37).contains($0) } }
        if utf8.starts(with: Array("0x".utf8)) { return digits(utf8.dropFirst(2), radix: 16, allowed: isHexDigit) }
        let unsigned = utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") ? utf8.dropFirst() : utf8[...]
        guard !unsigned.isEmpty, unsigned.allSatisfy(isDigit) else { return nil }
        return .some(Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text))
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
    private static func isFloat(_ text: String) -> Bool {
        if [".nan", ".NaN", ".NAN"].contains(text) { return true }
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        if [".inf", ".Inf", ".INF"].contains(rest) { return true }
        let mantissa = rest.prefix { $0 != "e" && $0 != "E" }
        let exponent = rest.dropFirst(mantissa.count)
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : nil
        guard whole.utf8.allSatisfy(isDigit), fraction?.utf8.allSatisfy(isDigit) ?? true else { return false }
        guard !whole.isEmpty || !(fraction ?? "").isEmpty else { return false }
        if exponent.isEmpty { return fraction != nil }  // an integer was matched before
        var power = exponent.dropFirst()
        if power.first == "-" || power.first == "+" { power = power.dropFirst() }
        return !power.isEmpty && power.utf8.allSatisfy(isDigit)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
