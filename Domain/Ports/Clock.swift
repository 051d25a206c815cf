import Foundation

/// The source of "now" for the core; tests substitute a fixed or stepping clock.
public protocol Clock: Sendable {
    func now() -> UTCTimestamp
}

/// Hands out fresh identities for new records.
public protocol IDGenerator: Sendable {
    func newTransactionID() -> TransactionID
    /// The id of a policy decision.
    func newDecisionID() -> UUID
}
