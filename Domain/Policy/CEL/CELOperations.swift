/// Operators on values: arithmetic with overflow checks, comparisons, indexing, `in`.
enum CELOperations {
    static func checkCount(_ count: Int) throws(CELEvalError) {
        guard count <= CELLimits.listElementsMax else {
            throw .limitExceeded("a list or map of \(count) elements; the limit is \(CELLimits.listElementsMax)")
        }
    }

    static func checkBytes(_ count: Int) throws(CELEvalError) {
        guard count <= CELLimits.stringBytesMax else {
            throw .limitExceeded("a string or bytes value of \(count) bytes; the limit is \(CELLimits.stringBytesMax)")
        }
    }

    static func field(_ value: CELValue, _ name: String) throws(CELEvalError) -> CELValue {
        guard case .map(let map) = value else {
            throw .noSuchOverload("field selection on \(value.type.rawValue)")
        }
        guard let found = map[.string(name)] else { throw .noSuchKey("'\(name)'") }
        return found
    }

    static func index(_ container: CELValue, _ index: CELValue) throws(CELEvalError) -> CELValue {
        switch container {
        case .list(let list):
            let position: Int64
            switch index {
            case .int(let i): position = i
            case .uint(let u) where u <= UInt64(Int64.max): position = Int64(u)
            case .double(let d) where d == d.rounded(.towardZero) && abs(d) < 9.0e18: position = Int64(d)
            default: throw .invalidArgument("list index of type \(index.type.rawValue)")
            }
            guard position >= 0, position < Int64(list.count) else {
                throw .indexOutOfRange(position, count: list.count)
            }
            return list[Int(position)]
        case .map(let map):
            guard let found = lookup(map, index) else { throw .noSuchKey(describeKey(index)) }
            return found
        default:
            throw .noSuchOverload("indexing \(container.type.rawValue)")
        }
    }

    /// Finds `key` in `map`; a double key matches an int or uint key of the same value.
    static func lookup(_ map: CELMap, _ key: CELValue) -> CELValue? {
        if case .double(let d) = key {
            guard d == d.rounded(.towardZero) else { return nil }
            if d >= -9.223372036854775808e18, d < 9.223372036854775808e18, let found = map[.int(Int64(d))] {
                return found
            }
            if d >= 0, d < 1.8446744073709551616e19 { return map[.uint(UInt64(d))] }
            return nil
        }
        guard let mapKey = CELMapKey(key) else { return nil }
        return map[mapKey]
    }

    private static func describeKey(_ value: CELValue) -> String {
        CELMapKey(value)?.description ?? "of type \(value.type.rawValue)"
    }

    static func unary(_ op: CELUnaryOperator, _ value: CELValue) throws(CELEvalError) -> CELValue {
        switch (op, value) {
        case (.not, .bool(let b)): return .bool(!b)
        case (.negate, .int(let i)):
            guard i != .min else { throw .overflow("negation") }
            return .int(-i)
        case (.negate, .double(let d)): return .double(-d)
        default: throw .noSuchOverload("\(op.rawValue)\(value.type.rawValue)")
        }
    }

    static func binary(_ op: CELBinaryOperator, _ lhs: CELValue, _ rhs: CELValue) throws(CELEvalError) -> CELValue {
        switch op {
        case .add, .subtract, .multiply, .divide, .remainder: return try arithmetic(op, lhs, rhs)
        case .equal: return .bool(CELValue.celEquals(lhs, rhs))
        case .notEqual: return .bool(!CELValue.celEquals(lhs, rhs))
        case .less, .lessOrEqual, .greater, .greaterOrEqual: return .bool(try compare(op, lhs, rhs))
        case .in: return .bool(try contains(rhs, lhs))
        }
    }

    private static func contains(_ container: CELValue, _ element: CELValue) throws(CELEvalError) -> Bool {
        switch container {
        case .list(let list): return list.contains { CELValue.celEquals($0, element) }
        case .map(let map): return lookup(map, element) != nil
        default: throw .noSuchOverload("in \(container.type.rawValue)")
        }
    }

    private static func compare(_ op: CELBinaryOperator, _ lhs: CELValue, _ rhs: CELValue) throws(CELEvalError) -> Bool {
        let ordering: CELNumeric.Ordering
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): ordering = order(Array(a.unicodeScalars.map(\.value)), Array(b.unicodeScalars.map(\.value)))
        case (.bytes(let a), .bytes(let b)): ordering = order(a, b)
        case (.bool(let a), .bool(let b)): ordering = a == b ? .equal : (!a ? .less : .greater)
        default:
            guard let numeric = CELNumeric.compare(lhs, rhs) else {
                throw .noSuchOverload("\(lhs.type.rawValue) \(op.rawValue) \(rhs.type.rawValue)")
            }
            ordering = numeric
        }
        switch (op, ordering) {
        case (_, .unordered): return false
        case (.less, let o): return o == .less
        case (.lessOrEqual, let o): return o != .greater
        case (.greater, let o): return o == .greater
        default: return ordering != .less
        }
    }

    private static func order<T: Comparable>(_ a: [T], _ b: [T]) -> CELNumeric.Ordering {
        a == b ? .equal : (a.lexicographicallyPrecedes(b) ? .less : .greater)
    }
}

extension CELOperations {
    private static func arithmetic(_ op: CELBinaryOperator, _ lhs: CELValue, _ rhs: CELValue) throws(CELEvalError) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return .int(try integer(op, a, b))
        case (.uint(let a), .uint(let b)): return .uint(try integer(op, a, b))
        case (.double(let a), .double(let b)):
            switch op {
            case .add: return .double(a + b)
            case .subtract: return .double(a - b)
            case .multiply: return .double(a * b)
            case .divide: return .double(a / b)
            default: break
            }
        case (.string(let a), .string(let b)) where op == .add:
            try checkBytes(a.utf8.count + b.utf8.count)
            return .string(a + b)
        case (.bytes(let a), .bytes(let b)) where op == .add:
            try checkBytes(a.count + b.count)
            return .bytes(a + b)
        case (.list(let a), .list(let b)) where op == .add:
            try checkCount(a.count + b.count)
            return .list(a + b)
        default: break
        }
        throw .noSuchOverload("\(lhs.type.rawValue) \(op.rawValue) \(rhs.type.rawValue)")
    }

    /// Integer arithmetic where overflow, division by zero and modulus by zero are errors.
    private static func integer<T: FixedWidthInteger>(_ op: CELBinaryOperator, _ a: T, _ b: T) throws(CELEvalError) -> T {
        let result: (partialValue: T, overflow: Bool)
        switch op {
        case .add: result = a.addingReportingOverflow(b)
        case .subtract: result = a.subtractingReportingOverflow(b)
        case .multiply: result = a.multipliedReportingOverflow(by: b)
        case .divide:
            guard b != 0 else { throw .divisionByZero }
            result = a.dividedReportingOverflow(by: b)
        default:
            guard b != 0 else { throw .moduloByZero }
            result = a.remainderReportingOverflow(dividingBy: b)
            // Int64.min % -1 is 0 mathematically; only the division overflows.
            if result.overflow { return 0 }
        }
        guard !result.overflow else { throw .overflow("\(a) \(op.rawValue) \(b)") }
        return result.partialValue
    }
}
