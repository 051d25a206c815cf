/// Where a recorded transaction stands after its policy decision (docs/policies.md §3).
public enum TransactionStatus: String, Sendable, Hashable, CaseIterable {
    /// Approved: the movement is booked.
    case posted
    /// Sent for review (`review` or `block`): not booked until a reviewer decides.
    case held
    /// Refused by policy: recorded, never booked.
    case declined

    public init(outcome: PolicyOutcome) {
        switch outcome {
        case .approve: self = .posted
        case .review, .block: self = .held
        case .decline: self = .declined
        }
    }
}
