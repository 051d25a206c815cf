/// Where a parse error happened: 1-based line and column (columns count Unicode scalars).
public struct CELSourcePosition: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// An expression was refused before evaluation: syntax, or a compile-time limit.
public struct CELParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let position: CELSourcePosition
    public let message: String
    public init(_ message: String, at position: CELSourcePosition) {
        self.message = message
        self.position = position
    }
    public var description: String { "\(position): \(message)" }

    /// `file:line:col: message`, then the offending line and a caret under the column.
    public func rendered(file: String, source: String) -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        var text = "\(file):\(position.line):\(position.column): \(message)"
        guard position.line >= 1, position.line <= lines.count else { return text }
        let line = lines[position.line - 1]
        // Tabs are kept so the caret lines up in terminals that expand them.
        let prefix = line.unicodeScalars.prefix(max(0, position.column - 1))
            .map { $0 == "\t" ? "\t" : " " }.joined()
        text += "\n" + String(line) + "\n" + prefix + "^"
        return text
    }
}

/// An evaluation error. CEL's `&&`, `||` and `?:` absorb some of these; the rest propagate.
public enum CELEvalError: Error, Sendable, Equatable, CustomStringConvertible {
    case overflow(String)
    case divisionByZero
    case moduloByZero
    case noSuchOverload(String)
    case noSuchKey(String)
    case indexOutOfRange(Int64, count: Int)
    case invalidArgument(String)
    case unknownIdentifier(String)
    case unknownFunction(String)
    case duplicateKey(String)
    case unsupportedKeyType(CELType)
    /// An intermediate list, string, or the evaluation as a whole exceeded a limit.
    case limitExceeded(String)

    public var description: String {
        switch self {
        case .overflow(let what): "integer overflow in \(what)"
        case .divisionByZero: "division by zero"
        case .moduloByZero: "modulus by zero"
        case .noSuchOverload(let what): "no such overload: \(what)"
        case .noSuchKey(let key): "no such key: \(key)"
        case .indexOutOfRange(let index, let count): "index \(index) out of range for list of size \(count)"
        case .invalidArgument(let what): "invalid argument: \(what)"
        case .unknownIdentifier(let name): "undeclared reference to '\(name)'"
        case .unknownFunction(let name): "unbound function '\(name)'"
        case .duplicateKey(let key): "repeated map key \(key)"
        case .unsupportedKeyType(let type): "unsupported map key type \(type.rawValue)"
        case .limitExceeded(let what): "limit exceeded: \(what)"
        }
    }
}
