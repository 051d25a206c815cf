/// A compiled form of the common subset of CEL (literals, variables, field selection, `!`, `-`,
/// operators, `&&`, `||`, `?:`, indexing, `has()`) that `CELProgram` tries first.
///
/// It resolves at compile time what the tree walker resolves on every evaluation: the names of the
/// root variables become slots, looked up once per evaluation; the dotted names a selection chain
/// may be bound under (`a.b.c`, `a.b`) are prepared once; field names become map keys; integer
/// comparisons and arithmetic are specialised. It never reports an error itself: whenever
/// anything is not plainly a success (a missing variable or key, a type mismatch, an overflow, an
/// operand of `&&` that is not a boolean, a value whose size the walker would count), it gives up
/// and `CELProgram` evaluates the expression again with `CELEvaluator`, which gives the result or
/// the error. Evaluation has no side effects, so starting again changes nothing but the time taken,
/// and where this path succeeds it computes exactly what the walker would. Expressions with calls,
/// list or map literals or macros are left to the walker entirely.
struct CELFastPath: Sendable {
    indirect enum Node: Sendable {
        case constant(CELValue)
        /// A variable (the slot of its name). An unbound name may still be a type name: give up.
        case variable(Int)
        /// `root.f1.f2…`, as the walker's qualified-name resolution: the longest bound dotted
        /// prefix wins (`dotted`, longest first, each with how many fields it covers), then the
        /// root variable; the remaining fields are looked up as map keys.
        case path(root: Int, fields: [CELMapKey], dotted: [DottedName])
        /// `operand.field` on anything but a variable or a path.
        case select(Node, CELMapKey)
        case presence(Node, CELMapKey)
        case index(Node, Node)
        case not(Node)
        case negate(Node)
        case binary(CELBinaryOperator, Node, Node)
        case and(Node, Node)
        case or(Node, Node)
        case conditional(Node, Node, Node)
        /// `operand in [c1, c2, …]` with a list literal of constants (no list or map among them).
        case inConstants(Node, [CELValue])
        /// `target.startsWith(argument)`, `endsWith`, `contains` on two strings.
        case stringTest(StringTest, Node, Node)
        /// `size(operand)`.
        case size(Node)
    }

    enum StringTest: Sendable {
        case startsWith, endsWith, contains
    }

    struct DottedName: Sendable {
        let name: String
        /// How many fields of the path the name covers.
        let covers: Int
    }

    let root: Node
    /// The root variables' names, by slot.
    let names: [String]

    /// nil when the expression uses something this path does not handle.
    init?(_ expression: CELExpression) {
        var names: [String] = []
        guard let root = Self.compile(expression, &names) else { return nil }
        self.root = root
        self.names = names
    }

    private static func slot(_ name: String, _ names: inout [String]) -> Int {
        if let index = names.firstIndex(of: name) { return index }
        names.append(name)
        return names.count - 1
    }

    private static func compile(_ expression: CELExpression, _ names: inout [String]) -> Node? {
        switch expression {
        case .literal(let value):
            switch value {
            case .list, .map: return nil
            default: return .constant(value)
            }
        case .identifier(let name): return .variable(slot(name, &names))
        case .select(let operand, let field):
            if let path = qualifiedPath(operand) {
                let parts = path + [field]
                let fields = parts.dropFirst().map { CELMapKey.string($0) }
                let dotted = stride(from: parts.count, through: 2, by: -1).map {
                    DottedName(name: parts[0..<$0].joined(separator: "."), covers: $0 - 1)
                }
                return .path(root: slot(parts[0], &names), fields: Array(fields), dotted: dotted)
            }
            guard let operand = compile(operand, &names) else { return nil }
            return .select(operand, .string(field))
        case .presence(let operand, let field):
            guard let operand = compile(operand, &names) else { return nil }
            return .presence(operand, .string(field))
        case .index(let operand, let index):
            guard let operand = compile(operand, &names), let index = compile(index, &names) else { return nil }
            return .index(operand, index)
        case .unary(let op, let operand):
            guard let operand = compile(operand, &names) else { return nil }
            return op == .not ? .not(operand) : .negate(operand)
        case .binary(.in, let lhs, .list(let elements)):
            // A literal list of constants is built by the walker on every evaluation; here once.
            // Its size is bounded by the expression's (astNodesMax, expressionBytesMax), far under
            // the walker's evaluation limits, so building it can never fail there either.
            var constants: [CELValue] = []
            for element in elements {
                guard case .literal(let value) = element else { return nil }
                switch value {
                case .list, .map: return nil
                default: constants.append(value)
                }
            }
            guard let lhs = compile(lhs, &names) else { return nil }
            return .inConstants(lhs, constants)
        case .binary(let op, let lhs, let rhs):
            guard let lhs = compile(lhs, &names), let rhs = compile(rhs, &names) else { return nil }
            return .binary(op, lhs, rhs)
        case .and(let lhs, let rhs):
            guard let lhs = compile(lhs, &names), let rhs = compile(rhs, &names) else { return nil }
            return .and(lhs, rhs)
        case .or(let lhs, let rhs):
            guard let lhs = compile(lhs, &names), let rhs = compile(rhs, &names) else { return nil }
            return .or(lhs, rhs)
        case .conditional(let condition, let then, let otherwise):
            guard let condition = compile(condition, &names), let then = compile(then, &names),
                  let otherwise = compile(otherwise, &names) else { return nil }
            return .conditional(condition, then, otherwise)
        case .call(let name, let target?, let arguments) where arguments.count == 1:
            // Standard names: an extension function never has one (CELDeclarations).
            let test: StringTest
            switch name {
            case "startsWith": test = .startsWith
            case "endsWith": test = .endsWith
            case "contains": test = .contains
            default: return nil
            }
            guard let target = compile(target, &names), let argument = compile(arguments[0], &names) else { return nil }
            return .stringTest(test, target, argument)
        case .call("size", nil, let arguments) where arguments.count == 1:
            guard let operand = compile(arguments[0], &names) else { return nil }
            return .size(operand)
        case .call, .list, .map, .comprehension:
            return nil
        }
    }

    private static func qualifiedPath(_ expression: CELExpression) -> [String]? {
        switch expression {
        case .identifier(let name): return [name]
        case .select(let operand, let field): return qualifiedPath(operand).map { $0 + [field] }
        default: return nil
        }
    }

    /// The value, or nil when the walker must decide.
    func evaluate(_ bindings: [String: CELValue]) -> CELValue? {
        // A dotted name can only be bound under a key that contains a dot.
        var dotted = false
        for key in bindings.keys where key.utf8.contains(UInt8(ascii: ".")) {
            dotted = true
            break
        }
        let count = names.count
        return withUnsafeTemporaryAllocation(of: CELValue?.self, capacity: count) { slots in
            for (index, name) in names.enumerated() { slots.initializeElement(at: index, to: bindings[name]) }
            defer { _ = slots.deinitialize() }
            let context = Context(bindings: bindings, slots: UnsafeBufferPointer(slots), dotted: dotted)
            return context.evaluate(root)
        }
    }

    private struct Context {
        let bindings: [String: CELValue]
        let slots: UnsafeBufferPointer<CELValue?>
        let dotted: Bool

        func evaluate(_ node: Node) -> CELValue? {
            switch node {
            case .constant(let value): return value
            case .variable(let slot): return slots[slot]
            case .path(let root, let fields, let dottedNames):
                if dotted {
                    for candidate in dottedNames {
                        if let value = bindings[candidate.name] { return walk(value, fields[candidate.covers...]) }
                    }
                }
                guard let value = slots[root] else { return nil }
                return walk(value, fields[...])
            case .select(let operand, let field):
                guard case .map(let map)? = evaluate(operand) else { return nil }
                return map[field]
            case .presence(let operand, let field):
                guard case .map(let map)? = evaluate(operand) else { return nil }
                return .bool(map[field] != nil)
            case .index(let operand, let index):
                guard let container = evaluate(operand), let key = evaluate(index) else { return nil }
                return try? CELOperations.index(container, key)
            case .not(let operand):
                guard case .bool(let b)? = evaluate(operand) else { return nil }
                return .bool(!b)
            case .negate(let operand):
                switch evaluate(operand) {
                case .int(let i)?: return i == .min ? nil : .int(-i)
                case .double(let d)?: return .double(-d)
                default: return nil
                }
            case .binary(let op, let lhs, let rhs):
                guard let left = evaluate(lhs), let right = evaluate(rhs) else { return nil }
                return Self.binary(op, left, right)
            case .and(let lhs, let rhs): return logical(lhs, rhs, absorbing: false)
            case .or(let lhs, let rhs): return logical(lhs, rhs, absorbing: true)
            case .conditional(let condition, let then, let otherwise):
                guard case .bool(let b)? = evaluate(condition) else { return nil }
                return evaluate(b ? then : otherwise)
            case .inConstants(let operand, let constants):
                guard let value = evaluate(operand) else { return nil }
                return .bool(constants.contains { CELValue.celEquals($0, value) })
            case .stringTest(let test, let target, let argument):
                guard case .string(let text)? = evaluate(target), case .string(let part)? = evaluate(argument) else { return nil }
                return Self.stringTest(test, text, part).map(CELValue.bool)
            case .size(let operand):
                switch evaluate(operand) {
                case .string(let s)?: return .int(Int64(s.unicodeScalars.count))
                case .bytes(let b)?: return .int(Int64(b.count))
                case .list(let l)?: return .int(Int64(l.count))
                case .map(let m)?: return .int(Int64(m.count))
                default: return nil
                }
            }
        }

        /// On UTF-8 bytes, which is the walker's comparison of Unicode scalars: a valid UTF-8
        /// needle can only match a valid haystack at scalar boundaries (a lead byte is never a
        /// continuation byte). nil when a string has no contiguous UTF-8 (the walker decides).
        private static func stringTest(_ test: StringTest, _ text: String, _ part: String) -> Bool? {
            text.utf8.withContiguousStorageIfAvailable { haystack in
                part.utf8.withContiguousStorageIfAvailable { needle -> Bool in
                    guard needle.count <= haystack.count else { return false }
                    switch test {
                    case .startsWith: return haystack.prefix(needle.count).elementsEqual(needle)
                    case .endsWith: return haystack.suffix(needle.count).elementsEqual(needle)
                    case .contains:
                        if needle.isEmpty { return true }
                        for start in 0...(haystack.count - needle.count)
                        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
                            return true
                        }
                        return false
                    }
                }
            } ?? nil
        }

        private func walk(_ value: CELValue, _ fields: ArraySlice<CELMapKey>) -> CELValue? {
            var current = value
            for field in fields {
                guard case .map(let map) = current, let next = map[field] else { return nil }
                current = next
            }
            return current
        }

        /// Both sides booleans, or the left one deciding; anything else is the walker's to report.
        private func logical(_ lhs: Node, _ rhs: Node, absorbing: Bool) -> CELValue? {
            guard case .bool(let left)? = evaluate(lhs) else { return nil }
            if left == absorbing { return .bool(absorbing) }
            guard case .bool(let right)? = evaluate(rhs) else { return nil }
            return .bool(right)
        }

        private static func binary(_ op: CELBinaryOperator, _ left: CELValue, _ right: CELValue) -> CELValue? {
            if case .int(let a) = left, case .int(let b) = right {
                switch op {
                case .less: return .bool(a < b)
                case .lessOrEqual: return .bool(a <= b)
                case .greater: return .bool(a > b)
                case .greaterOrEqual: return .bool(a >= b)
                case .equal: return .bool(a == b)
                case .notEqual: return .bool(a != b)
                case .add:
                    let (sum, overflow) = a.addingReportingOverflow(b)
                    return overflow ? nil : .int(sum)
                case .subtract:
                    let (difference, overflow) = a.subtractingReportingOverflow(b)
                    return overflow ? nil : .int(difference)
                default: break
                }
            }
            guard let result = try? CELOperations.binary(op, left, right) else { return nil }
            switch result {
            // The walker counts the size of what operators build: leave that to it.
            case .string, .bytes, .list, .map: return nil
            default: return result
            }
        }
    }
}
