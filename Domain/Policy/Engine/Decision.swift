import Foundation

/// What one rule did in one decision.
public enum RuleResult: Sendable, Hashable, CustomStringConvertible {
    case hit
    case noHit
    /// The expression failed or did not give a bool; the policy is lifted to at least `review`.
    case error(String)

    public var description: String {
        switch self {
        case .hit: "hit"
        case .noHit: "no hit"
        case .error(let message): "error: \(message)"
        }
    }
}

/// One line of a decision's trace.
public struct RuleTrace: Sendable, Hashable {
    public let policy: String
    public let rule: String
    public let result: RuleResult
    public let reason: String
    /// What the rule added to its policy's score (0 unless it hit).
    public let scoreContribution: Int
    /// True for a rule of a `shadow` policy: traced, never counted.
    public let shadow: Bool
}

/// The outcome of one policy in one decision.
public struct PolicyResult: Sendable, Hashable {
    public let policy: String
    public let version: String
    public let status: PolicyStatus
    public let score: Int
    public let outcome: PolicyOutcome
}

/// A bundle's decision on one input.
public struct Decision: Sendable, Hashable {
    public let id: UUID
    public let bundleHash: String
    /// `DecisionInput.digest(input, salt: inputSalt)`: SHA-256 (lower-case hex) over the input's
    /// RFC 8785 canonical JSON with the salt.
    public let inputDigest: String
    /// Kept with the decision in the database, never in the audit log (docs/policies.md §7).
    public let inputSalt: [UInt8]
    public let outcome: PolicyOutcome
    /// The summed score of the active policies.
    public let score: Int
    public let policies: [PolicyResult]
    public let trace: [RuleTrace]
    /// Declared inputs that were missing or of another type; they are left unbound.
    public let inputProblems: [String]

    /// The length of the random salt of a recorded decision, and the most a salt may have.
    public static let saltBytes = 16
    public static let saltBytesMax = 64

    /// The rules that hit, in trace order; shadow policies' rules only when asked.
    public func fired(includeShadow: Bool = false) -> [RuleTrace] {
        trace.filter { $0.result == .hit && (includeShadow || !$0.shadow) }
    }
}
