/// A type as the checker knows it before evaluation. `dyn` is "any type, known only when
/// evaluating": the members of maps and lists, comprehension variables, `dyn(x)`.
public enum CELCheckedType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case dyn
    case null = "null_type"
    case bool, int, uint, double, string, bytes, list, map, type

    public init(_ runtime: CELType) {
        switch runtime {
        case .null: self = .null
        case .bool: self = .bool
        case .int: self = .int
        case .uint: self = .uint
        case .double: self = .double
        case .string: self = .string
        case .bytes: self = .bytes
        case .list: self = .list
        case .map: self = .map
        case .type: self = .type
        }
    }

    public var description: String { rawValue }

    /// Whether a value of type `self` may be a value of type `other`: either is `dyn`, or they are
    /// the same type.
    public func mayBe(_ other: CELCheckedType) -> Bool { self == .dyn || other == .dyn || self == other }

    /// Whether `value` is of this type (every value is `dyn`).
    public func admits(_ value: CELValue) -> Bool { self == .dyn || self == CELCheckedType(value.type) }
}

/// A function supplied by the host, beside CEL's standard ones: its name, form and argument types
/// for the checker, its result type, and its implementation for the evaluator.
///
/// The evaluator calls `implementation` only with arguments that `argumentTypes` admit (target
/// first for a method); anything else is `CELEvalError.noSuchOverload` before it is called.
/// The implementation must give a value of `resultType` (checked by a precondition), and a
/// `noSuchOverload` it throws must name types only, never values (see `CELEvalError`).
public struct CELExtensionFunction: Sendable {
    public enum Form: Sendable, Equatable {
        /// `name(a, b)`
        case global
        /// `a.name(b)`: the target is the first argument.
        case method
    }

    /// What is wrong with one argument of a call, found at compile time by `check`.
    public struct ArgumentProblem: Sendable, Equatable {
        /// Index into the call's arguments, the target first for a method.
        public let argument: Int
        public let message: String
        public init(argument: Int, message: String) {
            self.argument = argument
            self.message = message
        }
    }

    public typealias Implementation = @Sendable (_ arguments: [CELValue]) throws(CELEvalError) -> CELValue
    public typealias Check = @Sendable (_ arguments: [CELExpression]) -> ArgumentProblem?

    public let name: String
    public let form: Form
    /// One type an argument, the target first for a method; their count is the arity.
    public let argumentTypes: [CELCheckedType]
    public let resultType: CELCheckedType
    /// Run by the checker on every call's argument expressions, after their types are checked:
    /// for arguments that must be literals, or name something declared.
    public let check: Check?
    public let implementation: Implementation

    /// `name` must be an identifier that is neither a standard function nor a macro.
    public init(
        name: String, form: Form = .global, argumentTypes: [CELCheckedType], resultType: CELCheckedType,
        check: Check? = nil, implementation: @escaping Implementation
    ) {
        precondition(CELDeclarations.isIdentifier(name), "an extension function's name is an identifier")
        precondition(CELStandardFunctions.signatures[name] == nil && CELMacro(rawValue: name) == nil && name != "has",
                     "an extension function does not replace a standard function or a macro")
        precondition(form == .global || !argumentTypes.isEmpty, "a method has a target")
        self.name = name
        self.form = form
        self.argumentTypes = argumentTypes
        self.resultType = resultType
        self.check = check
        self.implementation = implementation
    }

    /// Applies the function as the evaluator does: the form and the number of arguments must be
    /// this function's (else `unknownFunction`, as for a standard function), and each argument of
    /// its declared type (else `noSuchOverload`).
    func apply(_ arguments: [CELValue], isMethod: Bool) throws(CELEvalError) -> CELValue {
        guard isMethod == (form == .method), arguments.count == argumentTypes.count else { throw .unknownFunction(name) }
        for (type, value) in zip(argumentTypes, arguments) where !type.admits(value) {
            throw .noSuchOverload("\(name)(\(arguments.map(\.type.rawValue).joined(separator: ", ")))")
        }
        let result = try implementation(arguments)
        precondition(resultType.admits(result), "extension function \(name) gave \(result.type.rawValue), not \(resultType)")
        return result
    }
}

/// What an expression may refer to when it is compiled checked: names (dotted or not) with their
/// types, and extension functions. Comprehension variables and type names (`int`, `string`, …) need
/// no declaration.
public struct CELDeclarations: Sendable {
    /// Declared names and their types; a name may be dotted (`txn.amount_minor`), as a binding may.
    public private(set) var names: [String: CELCheckedType] = [:]
    public private(set) var functions: [String: CELExtensionFunction] = [:]
    /// Every proper dotted prefix of a declared name (`txn` for `txn.amount_minor`).
    private(set) var namespaces: Set<String> = []

    public init(names: [String: CELCheckedType] = [:], functions: [CELExtensionFunction] = []) {
        for (name, type) in names.sorted(by: { $0.key < $1.key }) { declare(name, as: type) }
        for function in functions { declare(function) }
    }

    /// Declares (or re-declares) `name`, identifiers joined by dots.
    public mutating func declare(_ name: String, as type: CELCheckedType) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        precondition(parts.allSatisfy { Self.isIdentifier($0) }, "a declared name is identifiers joined by dots")
        names[name] = type
        for length in 1..<parts.count { namespaces.insert(parts[0..<length].joined(separator: ".")) }
    }

    public mutating func declare(_ function: CELExtensionFunction) {
        precondition(functions[function.name] == nil, "extension function \(function.name) declared twice")
        functions[function.name] = function
    }

    func isNamespace(_ name: String) -> Bool { namespaces.contains(name) }

    /// `[A-Za-z_][A-Za-z0-9_]*`
    static func isIdentifier<S: StringProtocol>(_ text: S) -> Bool {
        guard let first = text.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }
}
