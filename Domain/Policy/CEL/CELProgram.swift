/// A compiled CEL expression: parse once, evaluate many times with different bindings.
///
/// Two ways to compile: `init(_:)` parses only (names, functions and types are found wrong when
/// evaluating; the cel-spec conformance cases run so); `init(_:declarations:expecting:)` also
/// checks the expression against what it may refer to (`CELChecker`) and makes the declared
/// extension functions callable.
public struct CELProgram: Sendable {
    public let source: String
    public let expression: CELExpression
    /// The type the checker inferred; `dyn` when compiled unchecked (or when it is known only
    /// when evaluating).
    public let resultType: CELCheckedType
    /// The compiled form of the common subset, tried first (nil when the expression is outside it).
    private let fastPath: CELFastPath?
    /// The extension functions the expression may call, by name (empty when unchecked).
    private let functions: [String: CELExtensionFunction]

    public init(_ source: String) throws(CELParseError) {
        self.source = source
        self.expression = try CELParser.parse(source)
        self.resultType = .dyn
        self.fastPath = CELFastPath(expression)
        self.functions = [:]
    }

    /// Parses and checks `source` against `declarations`; with `expecting`, a whole expression
    /// whose type is known and not that one is refused too. Every error has its line and column
    /// inside `source` and its `kind`.
    public init(_ source: String, declarations: CELDeclarations, expecting: CELCheckedType? = nil) throws(CELParseError) {
        self.source = source
        let parsed = try CELParser.parseWithSourceMap(source)
        self.expression = parsed.expression
        self.resultType = try CELChecker.check(parsed.expression, parsed.map, declarations: declarations, expecting: expecting)
        self.fastPath = CELFastPath(parsed.expression)
        self.functions = declarations.functions
    }

    /// Evaluates with the given variables. Names may be dotted (`"a.b.c"`): the longest
    /// bound prefix of a selection chain wins, as in CEL's qualified-name resolution.
    public func evaluate(_ bindings: [String: CELValue] = [:]) throws(CELEvalError) -> CELValue {
        if let fastPath, let value = fastPath.evaluate(bindings) { return value }
        var evaluator = CELEvaluator(bindings: bindings, functions: functions)
        return try evaluator.evaluate(expression)
    }

    /// Evaluates `part`, a subexpression of `expression`, with the tree walker, the given
    /// variables and this program's extension functions: for tools that evaluate an expression
    /// piece by piece (branch coverage). Each call has its own step and size budget.
    public func evaluate(part: CELExpression, _ bindings: [String: CELValue]) throws(CELEvalError) -> CELValue {
        var evaluator = CELEvaluator(bindings: bindings, functions: functions)
        return try evaluator.evaluate(part)
    }
}
