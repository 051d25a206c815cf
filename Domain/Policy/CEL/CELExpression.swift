/// The parsed form of a CEL expression. Macros (`has`, `all`, `exists`, `exists_one`,
/// `map`, `filter`) are expanded by the parser into their own cases.
public indirect enum CELExpression: Sendable {
    case literal(CELValue)
    case identifier(String)
    /// `operand.field`
    case select(CELExpression, field: String)
    /// `has(operand.field)`
    case presence(CELExpression, field: String)
    /// `operand[index]`
    case index(CELExpression, CELExpression)
    /// `name(args)` or `target.name(args)`
    case call(String, target: CELExpression?, arguments: [CELExpression])
    case list([CELExpression])
    case map([CELMapEntryExpression])
    case unary(CELUnaryOperator, CELExpression)
    case binary(CELBinaryOperator, CELExpression, CELExpression)
    case and(CELExpression, CELExpression)
    case or(CELExpression, CELExpression)
    case conditional(CELExpression, then: CELExpression, else: CELExpression)
    /// `range.macro(variable, body)`; `transform` is the third argument of the
    /// filtering form of `map`: `range.map(v, predicate, transform)`.
    case comprehension(CELMacro, range: CELExpression, variable: String, body: CELExpression, transform: CELExpression?)
}

public struct CELMapEntryExpression: Sendable {
    public let key: CELExpression
    public let value: CELExpression
}

public enum CELUnaryOperator: String, Sendable {
    case not = "!"
    case negate = "-"
}

public enum CELBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case `in` = "in"
}

public enum CELMacro: String, Sendable {
    case all, exists, existsOne = "exists_one", map, filter
}
