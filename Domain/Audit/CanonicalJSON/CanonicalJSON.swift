/// An audit payload: the subset of JSON that Custos stores as RFC 8785 (JCS) canonical bytes.
///
/// Only strings, booleans, `null`, integers within ±(2^53 − 1), arrays and objects are
/// representable. Floating-point numbers are left out on purpose: their canonical form needs
/// ECMAScript number formatting, and an integer-only payload cannot disagree with an auditor's
/// encoder about it.
///
/// Equality is exact: two values are equal exactly when their canonical bytes are equal. Strings
/// and member names compare by Unicode scalars, not by Swift's canonical equivalence, so
/// `"\u{C5}"` (Å) and `"A\u{30A}"` (A + combining ring) are different values, as they are in JSON.
///
/// `canonicalBytes` encodes; `parse(_:)` reads strictly; `isCanonical(_:)` checks stored bytes.
public enum CanonicalJSON: Sendable {
    case null
    case bool(Bool)
    case integer(SafeInteger)
    case string(String)
    case array([CanonicalJSON])
    case object(Object)

    /// The deepest nesting of arrays and objects that `parse(_:)` accepts. A bare scalar is at
    /// depth 0, `[]` at depth 1, `[[]]` at depth 2.
    public static let depthMax = 64

    /// The largest input, in bytes, that `parse(_:)` accepts: the largest audit leaf.
    public static let bytesMax = 65_535

    /// An integer value, or `nil` when `value` is outside ±(2^53 − 1).
    public init?(exactly value: some BinaryInteger) {
        guard let integer = SafeInteger(exactly: value) else { return nil }
        self = .integer(integer)
    }
}

extension CanonicalJSON: Hashable {
    public static func == (lhs: CanonicalJSON, rhs: CanonicalJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(left), .bool(right)): left == right
        case let (.integer(left), .integer(right)): left == right
        case let (.string(left), .string(right)): ExactText.equal(left, right)
        case let (.array(left), .array(right)): left == right
        case let (.object(left), .object(right)): left == right
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .integer(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(3 as UInt8)
            ExactText.hash(value, into: &hasher)
        case .array(let elements):
            hasher.combine(4 as UInt8)
            hasher.combine(elements)
        case .object(let object):
            hasher.combine(5 as UInt8)
            hasher.combine(object)
        }
    }
}

extension CanonicalJSON: CustomStringConvertible {
    /// The canonical text.
    public var description: String { String(decoding: canonicalBytes, as: UTF8.self) }
}

// MARK: - Literals (source code is trusted: an out-of-range literal is a programming error)

extension CanonicalJSON: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension CanonicalJSON: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension CanonicalJSON: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension CanonicalJSON: ExpressibleByIntegerLiteral {
    /// Traps when the literal is outside ±(2^53 − 1); use `init?(exactly:)` for values from input.
    public init(integerLiteral value: Int64) {
        guard let integer = SafeInteger(exactly: value) else {
            preconditionFailure("integer literal \(value) is outside ±(2^53 − 1)")
        }
        self = .integer(integer)
    }
}

extension CanonicalJSON: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: CanonicalJSON...) { self = .array(elements) }
}

extension CanonicalJSON: ExpressibleByDictionaryLiteral {
    /// Traps when two names are identical; use `Object(uniqueMembers:)` for members from input.
    public init(dictionaryLiteral elements: (String, CanonicalJSON)...) {
        guard let object = Object(uniqueMembers: elements.map { Object.Member(name: $0.0, value: $0.1) }) else {
            preconditionFailure("duplicate member name in a dictionary literal")
        }
        self = .object(object)
    }
}
