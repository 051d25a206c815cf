/// A step of the path from a policy document's root to the offending value, mirroring the file's
/// structure (`rules[2].when`), so that a file adapter can point at a line and column.
public enum PolicyPathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        }
    }
}

/// A policy was refused: invalid content, a broken CEL expression, or a limit.
public struct PolicyError: DomainError, Equatable, CustomStringConvertible {
    /// The policy's id, when known.
    public let policy: String?
    public let path: [PolicyPathComponent]
    public let message: String
    /// For a CEL parse error: where in the expression (1-based line and column).
    public let expressionPosition: CELSourcePosition?

    public init(policy: String?, path: [PolicyPathComponent], _ message: String, expressionPosition: CELSourcePosition? = nil) {
        self.policy = policy
        self.path = path
        self.message = message
        self.expressionPosition = expressionPosition
    }

    public var slug: String { "invalid-policy" }

    public var pathDescription: String {
        var text = ""
        for component in path {
            if case .key = component, !text.isEmpty { text += "." }
            text += component.description
        }
        return text
    }

    public var description: String {
        var text = policy.map { "policy \($0)" } ?? "bundle"
        if !path.isEmpty { text += ", \(pathDescription)" }
        if let expressionPosition { text += " at \(expressionPosition)" }
        return text + ": " + message
    }
}
