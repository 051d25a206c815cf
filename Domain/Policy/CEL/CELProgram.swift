/// A compiled CEL expression: parse once, evaluate many times with different bindings.
public struct CELProgram: Sendable {
    public let source: String
    public let expression: CELExpression
    /// The compiled form of the common subset, tried first (nil when the expression is outside it).
    private let fastPath: CELFastPath?

    public init(_ source: String) throws(CELParseError) {
        self.source = source
        self.expression = try CELParser.parse(source)
        self.fastPath = CELFastPath(expression)
    }

    /// Evaluates with the given variables. Names may be dotted (`"a.b.c"`): the longest
    /// bound prefix of a selection chain wins, as in CEL's qualified-name resolution.
    public func evaluate(_ bindings: [String: CELValue] = [:]) throws(CELEvalError) -> CELValue {
        if let fastPath, let value = fastPath.evaluate(bindings) { return value }
        var evaluator = CELEvaluator(bindings: bindings)
        return try evaluator.evaluate(expression)
    }
}
