import Foundation

/// A reviewer's decision on a held transaction (maker-checker, docs/api-security.md): approve
/// (the movement is booked: `posted`) or reject (`declined`), with the reviewer's reason. A
/// transaction is decided at most once, never by the client that submitted it.
public struct Review: Hashable, Sendable {
    public enum Verdict: String, Hashable, Sendable, CaseIterable {
        case approve, reject

        /// The transaction's status once decided.
        public var status: TransactionStatus {
            switch self {
            case .approve: .posted
            case .reject: .declined
            }
        }
    }

    public let transactionID: TransactionID
    public let tenant: TenantID
    public let verdict: Verdict
    public let reason: ReviewReason
    /// The checker: the API client whose token decided.
    public let decidedBy: ClientID
    public let decidedAt: UTCTimestamp

    public init(
        transactionID: TransactionID, tenant: TenantID, verdict: Verdict, reason: ReviewReason, decidedBy: ClientID,
        decidedAt: UTCTimestamp
    ) {
        self.transactionID = transactionID
        self.tenant = tenant
        self.verdict = verdict
        self.reason = reason
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }
}

/// Why the reviewer decided as they did: 1 to 500 Unicode scalars, no control characters but
/// line breaks. It is the reviewer's text and may name people, so the audit log carries only
/// its SHA-256.
public struct ReviewReason: Hashable, Sendable, CustomStringConvertible {
    public static let lengthMax = 500
    public static let rule = "must be 1 to 500 characters without control characters (line breaks allowed)"
    public let value: String

    public init?(_ value: String) {
        guard (1...Self.lengthMax).contains(value.unicodeScalars.count),
              !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
              !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" })
        else { return nil }
        self.value = value
    }

    public var description: String { value }
}

public enum ReviewError: DomainError, Equatable {
    /// The transaction is not held (posted or declined by its policy decision): there is nothing to decide.
    case notHeld(TransactionID)
    /// The transaction was decided already; the first decision stands.
    case alreadyDecided(TransactionID)
    /// The client that submitted the transaction may not decide it.
    case makerCannotDecide(TransactionID)

    public var slug: String {
        switch self {
        case .notHeld: "review-not-pending"
        case .alreadyDecided: "review-already-decided"
        case .makerCannotDecide: "maker-cannot-decide"
        }
    }
}
