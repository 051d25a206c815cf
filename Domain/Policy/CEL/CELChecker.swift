/// Checks a parsed expression against `CELDeclarations` before it is ever evaluated, and infers
/// its type. Refused, each at its line and column inside the expression (`CELParseError.Kind`):
/// a name that is neither declared, a comprehension variable nor a type name (and a namespace of
/// dotted names used as a value); an unknown function, or a known one with the wrong number of
/// arguments or form; an operator or function whose operand types no overload takes; a
/// `name_distance`-like argument that its function's `check` refuses; a literal `matches()`
/// pattern that does not compile; a whole expression whose known type is not the one expected.
///
/// It follows the evaluator, not a stricter reading of CEL: names resolve as the evaluator
/// resolves them (comprehension variables, then the longest declared dotted prefix, then type
/// names); an overload is refused only when the evaluator refuses it for every value of the
/// operand types (`CELOperatorOverloads`, `CELStandardFunctions`); a `dyn` operand may be of
/// any type. The one place it is stricter: an operand of `&&`, `||`, `!`, a `?:` condition and
/// a macro's predicate must be able to be a bool, although the evaluator lets a deciding value
/// on the other side of `&&`/`||` absorb the non-bool's error.
struct CELChecker {
    let declarations: CELDeclarations
    /// Comprehension variables in scope, innermost last.
    var locals: [String] = []

    private init(_ declarations: CELDeclarations) { self.declarations = declarations }

    /// The expression's type; throws the first problem, in the order the checker walks (operands
    /// before their operator, left to right).
    static func check(
        _ expression: CELExpression, _ map: CELSourceMap, declarations: CELDeclarations, expecting: CELCheckedType?
    ) throws(CELParseError) -> CELCheckedType {
        var checker = CELChecker(declarations)
        let type = try checker.type(expression, map)
        if let expecting, !type.mayBe(expecting) {
            throw CELParseError("the expression gives \(type), expected \(expecting)", at: map.start, kind: .wrongResultType)
        }
        return type
    }

    static func noOverload(_ what: String, _ types: [CELCheckedType], at position: CELSourcePosition) -> CELParseError {
        let list = types.map(\.rawValue).joined(separator: ", ")
        return CELParseError("no matching overload for \(what) applied to (\(list))", at: position, kind: .noMatchingOverload)
    }

    mutating func type(_ expression: CELExpression, _ map: CELSourceMap) throws(CELParseError) -> CELCheckedType {
        switch expression {
        case .literal(let value): return CELCheckedType(value.type)
        case .identifier(let name): return try identifier(name, at: map.position)
        case .select(let operand, let field): return try select(operand, field: field, map)
        case .presence(let operand, let field): return try presence(operand, field: field, map)
        case .index(let operand, let index):
            let types = [try type(operand, map.children[0]), try type(index, map.children[1])]
            guard let result = CELOverload.resolve(CELOperatorOverloads.index, types) else {
                throw Self.noOverload("'[]'", types, at: map.position)
            }
            return result
        case .call(let name, let target, let arguments): return try call(name, target: target, arguments: arguments, map)
        case .list(let items):
            for (item, itemMap) in zip(items, map.children) { _ = try type(item, itemMap) }
            return .list
        case .map(let entries): return try mapLiteral(entries, map)
        case .unary(let op, let operand):
            let types = [try type(operand, map.children[0])]
            guard let result = CELOverload.resolve(CELOperatorOverloads.unary(op), types) else {
                throw Self.noOverload("'\(op.rawValue)'", types, at: map.position)
            }
            return result
        case .binary(let op, let lhs, let rhs):
            let types = [try type(lhs, map.children[0]), try type(rhs, map.children[1])]
            guard let result = CELOverload.resolve(CELOperatorOverloads.binary(op), types) else {
                throw Self.noOverload("'\(op.rawValue)'", types, at: map.position)
            }
            return result
        case .and(let lhs, let rhs): return try logical("&&", lhs, rhs, map)
        case .or(let lhs, let rhs): return try logical("||", lhs, rhs, map)
        case .conditional(let condition, let then, let otherwise):
            let conditionType = try type(condition, map.children[0])
            guard conditionType.mayBe(.bool) else {
                throw Self.noOverload("'?:'", [conditionType], at: map.position)
            }
            let thenType = try type(then, map.children[1])
            let elseType = try type(otherwise, map.children[2])
            return thenType == elseType ? thenType : .dyn
        case .comprehension(let macro, let range, let variable, let body, let transform):
            return try comprehension(macro, range: range, variable: variable, body: body, transform: transform, map)
        }
    }

    private mutating func logical(
        _ name: String, _ lhs: CELExpression, _ rhs: CELExpression, _ map: CELSourceMap
    ) throws(CELParseError) -> CELCheckedType {
        let types = [try type(lhs, map.children[0]), try type(rhs, map.children[1])]
        guard types.allSatisfy({ $0.mayBe(.bool) }) else { throw Self.noOverload("'\(name)'", types, at: map.position) }
        return .bool
    }

    private mutating func mapLiteral(_ entries: [CELMapEntryExpression], _ map: CELSourceMap) throws(CELParseError) -> CELCheckedType {
        for (index, entry) in entries.enumerated() {
            let keyMap = map.children[2 * index]
            let keyType = try type(entry.key, keyMap)
            guard [.bool, .int, .uint, .string].contains(where: { keyType.mayBe($0) }) else {
                throw CELParseError(
                    "a map key is a bool, int, uint or string, not \(keyType)", at: keyMap.start, kind: .noMatchingOverload)
            }
            _ = try type(entry.value, map.children[2 * index + 1])
        }
        return .map
    }

    private mutating func comprehension(
        _ macro: CELMacro, range: CELExpression, variable: String, body: CELExpression, transform: CELExpression?,
        _ map: CELSourceMap
    ) throws(CELParseError) -> CELCheckedType {
        let rangeType = try type(range, map.children[0])
        guard rangeType.mayBe(.list) || rangeType.mayBe(.map) else {
            throw Self.noOverload("'\(macro.rawValue)'", [rangeType], at: map.position)
        }
        locals.append(variable)
        defer { locals.removeLast() }
        let bodyType = try type(body, map.children[1])
        if macro != .map || transform != nil, !bodyType.mayBe(.bool) {
            throw CELParseError(
                "the predicate of \(macro.rawValue) gives \(bodyType), not bool", at: map.children[1].start,
                kind: .noMatchingOverload)
        }
        if let transform { _ = try type(transform, map.children[2]) }
        switch macro {
        case .all, .exists, .existsOne: return .bool
        case .map, .filter: return .list
        }
    }
}
