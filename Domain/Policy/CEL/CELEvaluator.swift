/// Walks a `CELExpression`. Counts steps against `CELLimits.evaluationStepsMax` and checks
/// the size of every list, map, string and bytes value it builds.
struct CELEvaluator {
    let bindings: [String: CELValue]
    /// Extension functions by name (empty for a program compiled without declarations).
    let functions: [String: CELExtensionFunction]
    /// Comprehension variables, innermost last.
    private var locals: [(name: String, value: CELValue)] = []
    private var steps = 0
    private var bytesBuilt = 0

    init(bindings: [String: CELValue], functions: [String: CELExtensionFunction] = [:]) {
        self.bindings = bindings
        self.functions = functions
    }

    mutating func step() throws(CELEvalError) {
        steps += 1
        guard steps <= CELLimits.evaluationStepsMax else {
            throw .limitExceeded("more than \(CELLimits.evaluationStepsMax) evaluation steps")
        }
    }

    /// Counts the size of a value an operation built against `CELLimits.evaluationBytesMax`
    /// (a list counts 16 bytes an element; its elements were counted when they were built).
    private mutating func charge(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .string(let s): bytesBuilt += s.utf8.count
        case .bytes(let b): bytesBuilt += b.count
        case .list(let l): bytesBuilt += 16 * l.count
        case .map(let m): bytesBuilt += 32 * m.count
        default: return value
        }
        guard bytesBuilt <= CELLimits.evaluationBytesMax else {
            throw .limitExceeded("more than \(CELLimits.evaluationBytesMax) bytes of values built in one evaluation")
        }
        return value
    }

    mutating func evaluate(_ expression: CELExpression) throws(CELEvalError) -> CELValue {
        try step()
        switch expression {
        case .literal(let value): return value
        case .identifier(let name): return try resolve(name)
        case .select(let operand, let field): return try select(operand, field: field)
        case .presence(let operand, let field):
            let target = try evaluate(operand)
            guard case .map(let map) = target else { throw .noSuchOverload("has() on \(target.type.rawValue)") }
            return .bool(map[.string(field)] != nil)
        case .index(let operand, let index): return try CELOperations.index(try evaluate(operand), try evaluate(index))
        case .call(let name, let target, let arguments):
            return try charge(try call(name, target: target, arguments: arguments))
        case .list(let items):
            try CELOperations.checkCount(items.count)
            var values: [CELValue] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try evaluate(item)) }
            return try charge(.list(values))
        case .map(let entries): return try charge(try mapLiteral(entries))
        case .unary(let op, let operand): return try CELOperations.unary(op, try evaluate(operand))
        case .binary(let op, let lhs, let rhs):
            return try charge(try CELOperations.binary(op, try evaluate(lhs), try evaluate(rhs)))
        case .and(let lhs, let rhs): return try logical(lhs, rhs, absorbing: false)
        case .or(let lhs, let rhs): return try logical(lhs, rhs, absorbing: true)
        case .conditional(let condition, let then, let otherwise):
            let value = try evaluate(condition)
            guard case .bool(let b) = value else { throw .noSuchOverload("?: on \(value.type.rawValue)") }
            return try evaluate(b ? then : otherwise)
        case .comprehension(let macro, let range, let variable, let body, let transform):
            return try charge(try comprehension(macro, range: range, variable: variable, body: body, transform: transform))
        }
    }

    private func resolve(_ name: String) throws(CELEvalError) -> CELValue {
        if let local = locals.last(where: { $0.name == name }) { return local.value }
        if let value = bindings[name] { return value }
        if let type = CELType(typeName: name) { return .type(type) }
        throw .unknownIdentifier(name)
    }

    /// `a.b.c` where `a` is not a comprehension variable: the longest bound dotted prefix wins.
    private mutating func select(_ operand: CELExpression, field: String) throws(CELEvalError) -> CELValue {
        if let path = Self.qualifiedPath(operand), !locals.contains(where: { $0.name == path[0] }) {
            let parts = path + [field]
            for length in stride(from: parts.count, through: 1, by: -1) {
                guard let value = bindings[parts[0..<length].joined(separator: ".")] else { continue }
                var current = value
                for name in parts[length...] { current = try CELOperations.field(current, name) }
                return current
            }
        }
        return try CELOperations.field(try evaluate(operand), field)
    }

    private static func qualifiedPath(_ expression: CELExpression) -> [String]? {
        switch expression {
        case .identifier(let name): return [name]
        case .select(let operand, let field): return qualifiedPath(operand).map { $0 + [field] }
        default: return nil
        }
    }

    private mutating func mapLiteral(_ entries: [CELMapEntryExpression]) throws(CELEvalError) -> CELValue {
        try CELOperations.checkCount(entries.count)
        var map = CELMap()
        for entry in entries {
            let keyValue = try evaluate(entry.key)
            guard let key = CELMapKey(keyValue) else { throw .unsupportedKeyType(keyValue.type) }
            guard map.insert(key, try evaluate(entry.value)) else { throw .duplicateKey(key.description) }
        }
        return .map(map)
    }

    /// CEL's commutative `&&` / `||`: a deciding value on either side wins over an error on the other.
    private mutating func logical(_ lhs: CELExpression, _ rhs: CELExpression, absorbing: Bool) throws(CELEvalError) -> CELValue {
        let left = Result { () throws(CELEvalError) in try evaluate(lhs) }
        if case .success(.bool(absorbing)) = left { return .bool(absorbing) }
        let right = Result { () throws(CELEvalError) in try evaluate(rhs) }
        if case .success(.bool(absorbing)) = right { return .bool(absorbing) }
        let name = absorbing ? "||" : "&&"
        // Running out of budget is never absorbed.
        for case .failure(let error) in [left, right] {
            if case .limitExceeded = error { throw error }
        }
        switch (left, right) {
        case (.failure(let error), _): throw error
        case (.success(.bool), .success(.bool)): return .bool(!absorbing)
        case (.success(.bool), .failure(let error)): throw error
        case (.success(let value), _): throw .noSuchOverload("\(name) on \(value.type.rawValue)")
        }
    }

    private mutating func bind<T>(
        _ name: String, _ value: CELValue, _ body: (inout CELEvaluator) throws(CELEvalError) -> T
    ) throws(CELEvalError) -> T {
        locals.append((name, value))
        defer { locals.removeLast() }
        return try body(&self)
    }
}

extension CELType {
    /// The type denoted by an identifier such as `int` or `null_type`.
    init?(typeName: String) {
        switch typeName {
        case "null_type": self = .null
        case "bool": self = .bool
        case "int": self = .int
        case "uint": self = .uint
        case "double": self = .double
        case "string": self = .string
        case "bytes": self = .bytes
        case "list": self = .list
        case "map": self = .map
        case "type": self = .type
        default: return nil
        }
    }
}

// MARK: Macros

extension CELEvaluator {
    private mutating func comprehension(
        _ macro: CELMacro, range: CELExpression, variable: String, body: CELExpression, transform: CELExpression?
    ) throws(CELEvalError) -> CELValue {
        let rangeValue = try evaluate(range)
        let items: [CELValue]
        switch rangeValue {
        case .list(let list): items = list
        case .map(let map): items = map.keys.map(\.value)
        default: throw .noSuchOverload("\(macro.rawValue) over \(rangeValue.type.rawValue)")
        }
        switch macro {
        case .all, .exists: return try quantifier(macro == .exists, items, variable, body)
        case .existsOne:
            var count = 0
            for item in items where try predicate(item, variable, body) { count += 1 }
            return .bool(count == 1)
        case .filter:
            var kept: [CELValue] = []
            for item in items where try predicate(item, variable, body) { kept.append(item) }
            return .list(kept)
        case .map:
            var mapped: [CELValue] = []
            for item in items {
                if let transform {
                    guard try predicate(item, variable, body) else { continue }
                    mapped.append(try bind(variable, item) { (e) throws(CELEvalError) in try e.evaluate(transform) })
                } else {
                    mapped.append(try bind(variable, item) { (e) throws(CELEvalError) in try e.evaluate(body) })
                }
            }
            return .list(mapped)
        }
    }

    /// `all` (deciding value false) and `exists` (deciding value true); errors are kept
    /// and raised only when no element decides, as with `&&` and `||`.
    private mutating func quantifier(
        _ deciding: Bool, _ items: [CELValue], _ variable: String, _ body: CELExpression
    ) throws(CELEvalError) -> CELValue {
        var firstError: CELEvalError?
        for item in items {
            try step()
            let result = Result { () throws(CELEvalError) in
                try bind(variable, item) { (e) throws(CELEvalError) in try e.evaluate(body) }
            }
            switch result {
            case .success(.bool(let b)): if b == deciding { return .bool(deciding) }
            case .success(let other): firstError = firstError ?? .noSuchOverload("predicate returned \(other.type.rawValue)")
            case .failure(let error):
                if case .limitExceeded = error { throw error }
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return .bool(!deciding)
    }

    private mutating func predicate(_ item: CELValue, _ variable: String, _ body: CELExpression) throws(CELEvalError) -> Bool {
        try step()
        let value = try bind(variable, item) { (e) throws(CELEvalError) in try e.evaluate(body) }
        guard case .bool(let b) = value else { throw .noSuchOverload("predicate returned \(value.type.rawValue)") }
        return b
    }
}
