/// One way an operator or function applies: the argument types it takes and the type it gives.
/// `dyn` as an argument type takes any value.
struct CELOverload: Sendable {
    let arguments: [CELCheckedType]
    let result: CELCheckedType

    init(_ arguments: [CELCheckedType], _ result: CELCheckedType) {
        self.arguments = arguments
        self.result = result
    }

    /// The result type of applying one of `overloads` to arguments of types `actual`: nil when
    /// none may apply (a `dyn` argument may be of any type); the common result type when every
    /// overload that may apply gives the same one; else `dyn`.
    static func resolve(_ overloads: [CELOverload], _ actual: [CELCheckedType]) -> CELCheckedType? {
        var result: CELCheckedType?
        for overload in overloads where overload.arguments.count == actual.count {
            guard zip(overload.arguments, actual).allSatisfy({ $0.mayBe($1) }) else { continue }
            result = result == nil || result == overload.result ? overload.result : .dyn
        }
        return result
    }
}

/// The operators' overloads, exactly those `CELOperations` implements (nothing it refuses for
/// every value of the types, nothing it accepts for some): heterogeneous numeric comparisons
/// (`1 < 2.5`, `1u < 2`) are allowed, heterogeneous arithmetic (`1 + 2.5`) is not, and
/// `==`, `!=` apply to any two values.
enum CELOperatorOverloads {
    private static let numeric: [CELCheckedType] = [.int, .uint, .double]

    static func binary(_ op: CELBinaryOperator) -> [CELOverload] {
        switch op {
        case .add:
            [.int, .uint, .double, .string, .bytes, .list].map { CELOverload([$0, $0], $0) }
        case .subtract, .multiply, .divide: numeric.map { CELOverload([$0, $0], $0) }
        case .remainder: [.int, .uint].map { CELOverload([$0, $0], $0) }
        case .equal, .notEqual: [CELOverload([.dyn, .dyn], .bool)]
        case .less, .lessOrEqual, .greater, .greaterOrEqual: comparisons
        case .in: [CELOverload([.dyn, .list], .bool), CELOverload([.dyn, .map], .bool)]
        }
    }

    private static let comparisons: [CELOverload] =
        [.string, .bytes, .bool].map { CELOverload([$0, $0], .bool) }
        + numeric.flatMap { lhs in numeric.map { CELOverload([lhs, $0], .bool) } }

    static func unary(_ op: CELUnaryOperator) -> [CELOverload] {
        switch op {
        case .not: [CELOverload([.bool], .bool)]
        case .negate: [CELOverload([.int], .int), CELOverload([.double], .double)]
        }
    }

    /// `container[index]`: a list by an int, uint or (integral) double; a map by anything (a key
    /// of another type is not found).
    static let index: [CELOverload] = [
        CELOverload([.list, .int], .dyn), CELOverload([.list, .uint], .dyn), CELOverload([.list, .double], .dyn),
        CELOverload([.map, .dyn], .dyn),
    ]
}

/// The standard functions' signatures, exactly as `CELFunctions.apply` dispatches them.
enum CELStandardFunctions {
    struct Signature: Sendable {
        /// `name(x, …)` allowed.
        let global: Bool
        /// `x.name(…)` allowed (the target is the first argument).
        let method: Bool
        /// Every overload has this many arguments, the target included.
        let arity: Int
        let overloads: [CELOverload]
    }

    static let signatures: [String: Signature] = {
        var table: [String: Signature] = [:]
        table["size"] = Signature(
            global: true, method: true, arity: 1, overloads: [.string, .bytes, .list, .map].map { CELOverload([$0], .int) })
        for name in ["contains", "startsWith", "endsWith"] {
            table[name] = Signature(global: false, method: true, arity: 2, overloads: [CELOverload([.string, .string], .bool)])
        }
        table["matches"] = Signature(global: true, method: true, arity: 2, overloads: [CELOverload([.string, .string], .bool)])
        let conversions: [(CELCheckedType, [CELCheckedType])] = [
            (.int, [.int, .uint, .double, .string]), (.uint, [.uint, .int, .double, .string]),
            (.double, [.double, .int, .uint, .string]), (.string, [.string, .int, .uint, .double, .bool, .bytes]),
            (.bytes, [.bytes, .string]), (.bool, [.bool, .string]),
        ]
        for (result, sources) in conversions {
            table[result.rawValue] = Signature(
                global: true, method: false, arity: 1, overloads: sources.map { CELOverload([$0], result) })
        }
        table["dyn"] = Signature(global: true, method: false, arity: 1, overloads: [CELOverload([.dyn], .dyn)])
        table["type"] = Signature(global: true, method: false, arity: 1, overloads: [CELOverload([.dyn], .type)])
        return table
    }()
}
