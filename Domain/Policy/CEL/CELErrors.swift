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

/// An expression was refused before evaluation: syntax, a compile-time limit, or (when compiled
/// against declarations, `CELProgram(_:declarations:expecting:)`) a check.
public struct CELParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, as a stable name for tests and tools; `message` says it for people.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Not CEL (lexer or parser).
        case syntax
        /// Over a compile-time limit of `CELLimits`.
        case limit
        /// A name or dotted name that is neither declared, a comprehension variable nor a type name.
        case undeclaredReference = "undeclared_reference"
        /// A function that is neither standard nor declared.
        case unknownFunction = "unknown_function"
        /// A known function with the wrong number of arguments, or called as a method when it is
        /// global (or the other way round).
        case wrongArguments = "wrong_arguments"
        /// An operator or function applied to types for which it has no overload.
        case noMatchingOverload = "no_matching_overload"
        /// The whole expression's type is known and is not the one expected (a `when` must be bool).
        case wrongResultType = "wrong_result_type"
        /// An argument a function needs at compile time is wrong: `name_distance`'s list, a
        /// literal `matches()` pattern.
        case invalidArgument = "invalid_argument"
    }

    public let position: CELSourcePosition
    public let message: String
    public let kind: Kind
    public init(_ message: String, at position: CELSourcePosition, kind: Kind = .syntax) {
        self.message = message
        self.position = position
        self.kind = kind
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
///
/// `description` may quote values (`int('12x')`, `no such key: 'ACC-1'`): it is for the person
/// evaluating. `code` and `safeDescription` never contain a value and are what may go into a
/// decision trace or an audit log.
public enum CELEvalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The arithmetic or conversion, with its operands.
    case overflow(String)
    case divisionByZero
    case moduloByZero
    /// The operator or function and the operand types, never values: `"string > int"`,
    /// `"size(int)"`. It appears in `safeDescription`, so it must stay value-free.
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

    /// A stable, value-free name of the kind of error (snake case), for traces and metrics.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        case overflow, divisionByZero = "division_by_zero", moduloByZero = "modulo_by_zero"
        case noSuchOverload = "no_such_overload", noSuchKey = "no_such_key", indexOutOfRange = "index_out_of_range"
        case invalidArgument = "invalid_argument", unknownIdentifier = "unknown_identifier"
        case unknownFunction = "unknown_function", duplicateKey = "duplicate_key"
        case unsupportedKeyType = "unsupported_key_type", limitExceeded = "limit_exceeded"
    }

    public var code: Code {
        switch self {
        case .overflow: .overflow
        case .divisionByZero: .divisionByZero
        case .moduloByZero: .moduloByZero
        case .noSuchOverload: .noSuchOverload
        case .noSuchKey: .noSuchKey
        case .indexOutOfRange: .indexOutOfRange
        case .invalidArgument: .invalidArgument
        case .unknownIdentifier: .unknownIdentifier
        case .unknownFunction: .unknownFunction
        case .duplicateKey: .duplicateKey
        case .unsupportedKeyType: .unsupportedKeyType
        case .limitExceeded: .limitExceeded
        }
    }

    /// The error without any value: the code's meaning, and only what comes from the expression's
    /// text or the type system (operators, function and variable names, types). Keys, indexes,
    /// operands, converted strings and sizes are left out.
    public var safeDescription: String {
        switch self {
        case .overflow: "integer overflow"
        case .divisionByZero: "division by zero"
        case .moduloByZero: "modulus by zero"
        case .noSuchOverload(let what): "no such overload: \(what)"
        case .noSuchKey: "no such key"
        case .indexOutOfRange: "list index out of range"
        case .invalidArgument: "invalid argument"
        case .unknownIdentifier(let name): "undeclared reference to '\(name)'"
        case .unknownFunction(let name): "unbound function '\(name)'"
        case .duplicateKey: "repeated map key"
        case .unsupportedKeyType(let type): "unsupported map key type \(type.rawValue)"
        case .limitExceeded: "limit exceeded"
        }
    }
}
