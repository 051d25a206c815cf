/// A CEL value. `Equatable` here is structural (used for tests and caching);
/// CEL's own `==` (cross-type numeric equality, NaN != NaN) is `CELValue.celEquals`.
public enum CELValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([CELValue])
    case map(CELMap)
    case type(CELType)

    public var type: CELType {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        case .list: .list
        case .map: .map
        case .type: .type
        }
    }
}

/// The runtime type of a value (what `type(x)` returns).
public enum CELType: String, Sendable, Equatable, Hashable {
    case null = "null_type"
    case bool, int, uint, double, string, bytes, list, map, type
}

/// A map key: CEL allows bool, int, uint and string keys. An int and a uint with
/// the same numeric value are the same key.
public enum CELMapKey: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case string(String)

    /// The key for `value`, or nil when the value's type cannot be a key.
    public init?(_ value: CELValue) {
        switch value {
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .uint(let u): self = .uint(u)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }

    public var value: CELValue {
        switch self {
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .uint(let u): .uint(u)
        case .string(let s): .string(s)
        }
    }

    /// A uint that fits in an int compares and hashes as that int. Strings compare by Unicode
    /// scalars (no canonical equivalence), which is comparing their UTF-8 bytes.
    public static func == (lhs: CELMapKey, rhs: CELMapKey) -> Bool {
        switch (lhs, rhs) {
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.uint(let a), .uint(let b)): a == b
        case (.int(let a), .uint(let b)): a >= 0 && UInt64(a) == b
        case (.uint(let a), .int(let b)): b >= 0 && a == UInt64(b)
        case (.string(let a), .string(let b)): a.utf8.elementsEqual(b.utf8)
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let b):
            hasher.combine(0 as UInt8)
            hasher.combine(b)
        case .int(let i):
            hasher.combine(1 as UInt8)
            hasher.combine(i)
        case .uint(let u):
            if u <= UInt64(Int64.max) {
                hasher.combine(1 as UInt8)
                hasher.combine(Int64(u))
            } else {
                hasher.combine(2 as UInt8)
                hasher.combine(u)
            }
        case .string(let s):
            hasher.combine(3 as UInt8)
            var s = s
            s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .uint(let u): "\(u)u"
        case .string(let s): "'\(s)'"
        }
    }
}

/// A CEL map: insertion order is kept for stable output; lookups are by `CELMapKey`.
public struct CELMap: Sendable, Equatable {
    public private(set) var keys: [CELMapKey] = []
    private var storage: [CELMapKey: CELValue] = [:]

    public init() {}

    public var count: Int { keys.count }

    public subscript(key: CELMapKey) -> CELValue? { storage[key] }

    /// Adds an entry; returns false (and changes nothing) when the key is already present.
    @discardableResult
    public mutating func insert(_ key: CELMapKey, _ value: CELValue) -> Bool {
        guard storage[key] == nil else { return false }
        keys.append(key)
        storage[key] = value
        return true
    }

    public var entries: [(key: CELMapKey, value: CELValue)] {
        keys.map { ($0, storage[$0] ?? .null) }
    }
}

extension CELValue {
    /// CEL equality: numbers compare by numeric value across int, uint and double;
    /// NaN equals nothing; values of different non-numeric types are unequal.
    public static func celEquals(_ lhs: CELValue, _ rhs: CELValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)  // same scalars, same bytes
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.type(let a), .type(let b)): return a == b
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { celEquals($0, $1) }
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.entries {
                guard let other = b[key], celEquals(value, other) else { return false }
            }
            return true
        default:
            return CELNumeric.compare(lhs, rhs) == .equal
        }
    }
}

/// Comparison of int, uint and double values across types: int against uint is exact,
/// either against a double goes through `Double`.
enum CELNumeric {
    enum Ordering { case less, equal, greater, unordered }

    /// nil when either value is not a number.
    static func compare(_ lhs: CELValue, _ rhs: CELValue) -> Ordering? {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return order(a, b)
        case (.uint(let a), .uint(let b)): return order(a, b)
        case (.double(let a), .double(let b)): return a.isNaN || b.isNaN ? .unordered : order(a, b)
        case (.int(let a), .uint(let b)): return a < 0 ? .less : order(UInt64(a), b)
        case (.uint(let a), .int(let b)): return b < 0 ? .greater : order(a, UInt64(b))
        case (.int(let a), .double(let b)): return compareInt(a, b)
        case (.double(let a), .int(let b)): return flip(compareInt(b, a))
        case (.uint(let a), .double(let b)): return compareUint(a, b)
        case (.double(let a), .uint(let b)): return flip(compareUint(b, a))
        default: return nil
        }
    }

    private static func order<T: Comparable>(_ a: T, _ b: T) -> Ordering {
        a < b ? .less : (a == b ? .equal : .greater)
    }

    private static func flip(_ o: Ordering) -> Ordering {
        switch o {
        case .less: .greater
        case .greater: .less
        default: o
        }
    }

    /// An integer against a double compares as a double, as cel-spec's conformance cases
    /// expect (9223372036854775807 is not less than 9223372036854775808.0).
    private static func compareInt(_ i: Int64, _ d: Double) -> Ordering {
        d.isNaN ? .unordered : order(Double(i), d)
    }

    private static func compareUint(_ u: UInt64, _ d: Double) -> Ordering {
        d.isNaN ? .unordered : order(Double(u), d)
    }
}
