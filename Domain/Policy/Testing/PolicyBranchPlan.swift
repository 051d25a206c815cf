import Foundation

/// The `&&`/`||` branches of one rule (docs/policies.md §6) and how to find which of them a case
/// exercises.
///
/// A chain flattens nested uses of one operator (`a && b && c` and `a && (b && c)` are one chain
/// of three operands). Every operand of a chain is two branches, "was true" and "was false"; an
/// operand that is itself a chain of the other operator counts as an operand and is also recursed
/// into, so `a || (b && c)` has eight branches: `a`, `b && c`, `b` and `c`, each true and false.
/// Chains are found at the top of the rule and through `!`, the three parts of `?:`, and chain
/// operands; nothing inside a macro (`all`, `exists`, …), a function call or another operator is
/// looked into.
///
/// An operand is exercised to a value when a case evaluates it, left to right with
/// short-circuit, to that bool: after a deciding value (`false` for `&&`, `true` for `||`) the
/// rest of the chain is not evaluated. An operand that fails, or gives a non-bool, exercises
/// neither branch, and evaluation goes on to the next operand (CEL's `&&`/`||` let a deciding
/// value on either side win over an error). The values are the engine's: the same bindings, and
/// the same evaluator for every part below a chain.
struct PolicyBranchPlan: Sendable {
    /// The operands, in pre-order (an outer operand before the operands inside it).
    let operands: [Operand]
    private let root: Node

    struct Operand: Sendable, Hashable {
        /// The operand as CEL text.
        let source: String
    }

    /// The rule's expression reduced to the parts that matter for branches.
    indirect enum Node: Sendable {
        /// `and` true for `&&`; each operand with its index into `operands`.
        case chain(and: Bool, [(node: Node, operand: Int)])
        case not(Node)
        case conditional(Node, then: Node, else: Node)
        /// Evaluated as a whole by the CEL evaluator.
        case leaf(CELExpression)
    }

    init(_ expression: CELExpression) {
        var operands: [Operand] = []
        root = Self.node(expression, operands: &operands)
        self.operands = operands
    }

    var branchCount: Int { operands.count * 2 }

    /// The branch index of `operand` having been `value`: `2 · operand` for false, `+ 1` for true.
    static func branch(operand: Int, value: Bool) -> Int { operand * 2 + (value ? 1 : 0) }

    private static func node(_ expression: CELExpression, operands: inout [Operand]) -> Node {
        switch expression {
        case .and, .or:
            let isAnd: Bool
            if case .and = expression { isAnd = true } else { isAnd = false }
            var members: [(node: Node, operand: Int)] = []
            for part in flatten(expression, and: isAnd) {
                let index = operands.count
                operands.append(Operand(source: part.renderedSource))
                members.append((node(part, operands: &operands), index))
            }
            return .chain(and: isAnd, members)
        case .unary(.not, let operand): return .not(node(operand, operands: &operands))
        case .conditional(let condition, let then, let otherwise):
            let c = node(condition, operands: &operands)
            let t = node(then, operands: &operands)
            return .conditional(c, then: t, else: node(otherwise, operands: &operands))
        default: return .leaf(expression)
        }
    }

    /// The operands of a chain of one operator, left to right.
    private static func flatten(_ expression: CELExpression, and isAnd: Bool) -> [CELExpression] {
        switch (expression, isAnd) {
        case (.and(let lhs, let rhs), true), (.or(let lhs, let rhs), false):
            return flatten(lhs, and: isAnd) + flatten(rhs, and: isAnd)
        default: return [expression]
        }
    }

    /// Evaluates the rule with `bindings`, setting `exercised[branch]` for every branch this
    /// evaluation exercises; returns the rule's value as the walk computed it.
    @discardableResult
    func walk(_ bindings: [String: CELValue], exercised: inout [Bool]) -> Result<CELValue, CELEvalError> {
        precondition(exercised.count == branchCount, "one flag a branch")
        return Self.walk(root, bindings, &exercised)
    }

    private static func walk(_ node: Node, _ bindings: [String: CELValue], _ exercised: inout [Bool]) -> Result<CELValue, CELEvalError> {
        switch node {
        case .leaf(let expression):
            var evaluator = CELEvaluator(bindings: bindings)
            return Result { () throws(CELEvalError) in try evaluator.evaluate(expression) }
        case .not(let operand):
            return walk(operand, bindings, &exercised).flatMap { value in
                Result { () throws(CELEvalError) in try CELOperations.unary(.not, value) }
            }
        case .conditional(let condition, let then, let otherwise):
            switch walk(condition, bindings, &exercised) {
            case .success(.bool(let chosen)): return walk(chosen ? then : otherwise, bindings, &exercised)
            case .success(let value): return .failure(.noSuchOverload("?: on \(value.type.rawValue)"))
            case .failure(let error): return .failure(error)
            }
        case .chain(let isAnd, let members):
            return chain(isAnd, members, bindings, &exercised)
        }
    }

    /// CEL's `&&` (deciding value false) or `||` (deciding value true) over a flattened chain.
    private static func chain(
        _ isAnd: Bool, _ members: [(node: Node, operand: Int)], _ bindings: [String: CELValue], _ exercised: inout [Bool]
    ) -> Result<CELValue, CELEvalError> {
        let deciding = !isAnd
        var firstError: CELEvalError?
        for member in members {
            switch walk(member.node, bindings, &exercised) {
            case .success(.bool(let value)):
                exercised[branch(operand: member.operand, value: value)] = true
                if value == deciding { return .success(.bool(deciding)) }
            case .success(let value):
                firstError = firstError ?? .noSuchOverload("\(isAnd ? "&&" : "||") on \(value.type.rawValue)")
            case .failure(let error):
                // The engine's step and size budgets are shared by the whole rule, so once one
                // operand runs out the rest cannot decide.
                if case .limitExceeded = error { return .failure(error) }
                firstError = firstError ?? error
            }
        }
        if let firstError { return .failure(firstError) }
        return .success(.bool(!deciding))
    }
}
