extension CELEvaluator {
    /// Evaluates the target and arguments, then applies the named function: an extension
    /// function when one has the name (none has a standard function's), else a standard one.
    mutating func call(_ name: String, target: CELExpression?, arguments: [CELExpression]) throws(CELEvalError) -> CELValue {
        var values: [CELValue] = []
        if let target { values.append(try evaluate(target)) }
        for argument in arguments { values.append(try evaluate(argument)) }
        if !functions.isEmpty, let function = functions[name] { return try function.apply(values, isMethod: target != nil) }
        return try CELFunctions.apply(name, isMethod: target != nil, values)
    }
}

/// The standard functions this subset supports.
enum CELFunctions {
    static func apply(_ name: String, isMethod: Bool, _ args: [CELValue]) throws(CELEvalError) -> CELValue {
        switch (name, args.count) {
        case ("size", 1): return try size(args[0])
        case ("contains", 2), ("startsWith", 2), ("endsWith", 2):
            guard isMethod, case .string(let s) = args[0], case .string(let t) = args[1] else { break }
            let a = Array(s.unicodeScalars.map(\.value))
            let b = Array(t.unicodeScalars.map(\.value))
            switch name {
            case "startsWith": return .bool(a.starts(with: b))
            case "endsWith": return .bool(a.reversed().starts(with: b.reversed()))
            default: return .bool(b.isEmpty || subsequence(b, of: a))
            }
        case ("matches", 2):
            guard case .string(let text) = args[0], case .string(let pattern) = args[1] else { break }
            return .bool(try CELRegex(pattern).search(text))
        case ("dyn", 1) where !isMethod: return args[0]
        case ("type", 1) where !isMethod: return .type(args[0].type)
        case ("int", 1) where !isMethod: return try CELConversions.toInt(args[0])
        case ("uint", 1) where !isMethod: return try CELConversions.toUint(args[0])
        case ("double", 1) where !isMethod: return try CELConversions.toDouble(args[0])
        case ("string", 1) where !isMethod: return try CELConversions.toString(args[0])
        case ("bytes", 1) where !isMethod: return try CELConversions.toBytes(args[0])
        case ("bool", 1) where !isMethod: return try CELConversions.toBool(args[0])
        default: throw .unknownFunction(name)
        }
        throw .noSuchOverload("\(name)(\(args.map(\.type.rawValue).joined(separator: ", ")))")
    }

    private static func size(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .string(let s): return .int(Int64(s.unicodeScalars.count))
        case .bytes(let b): return .int(Int64(b.count))
        case .list(let l): return .int(Int64(l.count))
        case .map(let m): return .int(Int64(m.count))
        default: throw .noSuchOverload("size(\(value.type.rawValue))")
        }
    }

    private static func subsequence(_ needle: [UInt32], of haystack: [UInt32]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}

/// `int()`, `uint()`, `double()`, `string()`, `bytes()`, `bool()`: out-of-range values are errors.
enum CELConversions {
    static func toInt(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .int: return value
        case .uint(let u):
            guard u <= UInt64(Int64.max) else { throw .overflow("int(\(u)u)") }
            return .int(Int64(u))
        case .double(let d):
            guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else {
                throw .overflow("int(\(d))")
            }
            return .int(Int64(d))
        case .string(let s):
            guard let i = Int64(s) else { throw .invalidArgument("int('\(s)')") }
            return .int(i)
        default: throw .noSuchOverload("int(\(value.type.rawValue))")
        }
    }

    static func toUint(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .uint: return value
        case .int(let i):
            guard i >= 0 else { throw .overflow("uint(\(i))") }
            return .uint(UInt64(i))
        case .double(let d):
            guard d.isFinite, d > -1, d < 1.8446744073709551616e19 else { throw .overflow("uint(\(d))") }
            return .uint(UInt64(d))
        case .string(let s):
            guard let u = UInt64(s) else { throw .invalidArgument("uint('\(s)')") }
            return .uint(u)
        default: throw .noSuchOverload("uint(\(value.type.rawValue))")
        }
    }

    static func toDouble(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .double: return value
        case .int(let i): return .double(Double(i))
        case .uint(let u): return .double(Double(u))
        case .string(let s):
            guard let d = Double(s) else { throw .invalidArgument("double('\(s)')") }
            return .double(d)
        default: throw .noSuchOverload("double(\(value.type.rawValue))")
        }
    }

    static func toString(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .string: return value
        case .int(let i): return .string(String(i))
        case .uint(let u): return .string(String(u))
        case .double(let d): return .string(String(d))
        case .bool(let b): return .string(String(b))
        case .bytes(let b):
            guard let s = String(validating: b, as: UTF8.self) else { throw .invalidArgument("bytes are not valid UTF-8") }
            return .string(s)
        default: throw .noSuchOverload("string(\(value.type.rawValue))")
        }
    }

    static func toBytes(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .bytes: return value
        case .string(let s): return .bytes(Array(s.utf8))
        default: throw .noSuchOverload("bytes(\(value.type.rawValue))")
        }
    }

    static func toBool(_ value: CELValue) throws(CELEvalError) -> CELValue {
        switch value {
        case .bool: return value
        case .string(let s):
            switch s {
            case "1", "t", "true", "TRUE", "True": return .bool(true)
            case "0", "f", "false", "FALSE", "False": return .bool(false)
            default: throw .invalidArgument("bool('\(s)')")
            }
        default: throw .noSuchOverload("bool(\(value.type.rawValue))")
        }
    }
}
