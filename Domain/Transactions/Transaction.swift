/// A recorded money movement on one of a tenant's accounts.
public struct Transaction: Hashable, Sendable {
    public enum Direction: String, CaseIterable, Sendable { case debit, credit }
    public enum Kind: String, CaseIterable, Sendable { case card, transfer, cash }

    public let id: TransactionID
    public let tenantID: TenantID
    public let accountID: AccountIdentifier
    /// Encrypted at rest; `.erased` once its subject's keys are shredded.
    public let counterpartyAccount: Protected<AccountIdentifier>
    /// Optional; encrypted at rest like the account.
    public let counterpartyName: Protected<CounterpartyName>?
    public let money: Money
    public let direction: Direction
    public let kind: Kind
    public let occurredAt: UTCTimestamp
    public let reference: Reference?
    public let recordedAt: UTCTimestamp
    /// What its policy decision made of it; `posted` for rows recorded before decisions existed.
    public let status: TransactionStatus
    /// The decision it was recorded with (nil only for rows recorded before decisions existed).
    public let decision: DecisionRecord?
    /// The API client that submitted it (the maker); nil for rows recorded before reviews existed.
    public let submittedBy: ClientID?
    /// A reviewer's decision, for a held transaction that was reviewed.
    public let review: Review?

    /// Where it stands now: its recorded `status`, or what its review made of it.
    public var currentStatus: TransactionStatus { review?.verdict.status ?? status }

    public init(
        id: TransactionID, tenantID: TenantID, accountID: AccountIdentifier,
        counterpartyAccount: Protected<AccountIdentifier>, counterpartyName: Protected<CounterpartyName>? = nil,
        money: Money, direction: Direction, kind: Kind,
        occurredAt: UTCTimestamp, reference: Reference?, recordedAt: UTCTimestamp,
        status: TransactionStatus = .posted, decision: DecisionRecord? = nil, submittedBy: ClientID? = nil, review: Review? = nil
    ) {
        precondition(decision.map { TransactionStatus(outcome: $0.decision.outcome) == status } ?? true, "status follows the decision")
        precondition(review.map { $0.transactionID == id && $0.tenant == tenantID && status == .held } ?? true, "only a held transaction is reviewed")
        self.id = id
        self.tenantID = tenantID
        self.accountID = accountID
        self.counterpartyAccount = counterpartyAccount
        self.counterpartyName = counterpartyName
        self.money = money
        self.direction = direction
        self.kind = kind
        self.occurredAt = occurredAt
        self.reference = reference
        self.recordedAt = recordedAt
        self.status = status
        self.decision = decision
        self.submittedBy = submittedBy
        self.review = review
    }

    /// The same transaction with its decision, and the status that follows from it.
    public func deciding(_ record: DecisionRecord) -> Transaction {
        Transaction(
            id: id, tenantID: tenantID, accountID: accountID, counterpartyAccount: counterpartyAccount,
            counterpartyName: counterpartyName, money: money, direction: direction, kind: kind, occurredAt: occurredAt,
            reference: reference, recordedAt: recordedAt, status: TransactionStatus(outcome: record.decision.outcome), decision: record,
            submittedBy: submittedBy, review: review
        )
    }

    /// The transaction as it was recorded: without its review, if it had one since.
    public var asRecorded: Transaction {
        guard review != nil else { return self }
        return Transaction(
            id: id, tenantID: tenantID, accountID: accountID, counterpartyAccount: counterpartyAccount,
            counterpartyName: counterpartyName, money: money, direction: direction, kind: kind, occurredAt: occurredAt,
            reference: reference, recordedAt: recordedAt, status: status, decision: decision, submittedBy: submittedBy
        )
    }
}

/// An account number, IBAN, card token or internal account id: 1 to 64 characters from
/// `A–Z a–z 0–9 . _ : / -`, starting with a letter or digit. No spaces, no control characters.
public struct AccountIdentifier: Hashable, Sendable, CustomStringConvertible {
    public static let lengthMax = 64
    /// The rule in words, for error messages.
    public static let rule = "must be 1 to 64 characters of A-Z, a-z, 0-9 and . _ : / -, starting with a letter or digit"
    public let value: String

    public init?(_ value: String) {
        let scalars = value.unicodeScalars
        guard (1...AccountIdentifier.lengthMax).contains(scalars.count),
              let first = scalars.first, AccountIdentifier.isAlphanumeric(first),
              scalars.allSatisfy({ AccountIdentifier.isAlphanumeric($0) || "._:/-".unicodeScalars.contains($0) })
        else { return nil }
        self.value = value
    }

    private static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    public var description: String { value }
}

/// The client's free-text reference for a movement: at most 140 Unicode scalars
/// (the SEPA remittance limit), no control characters.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    public static let lengthMax = 140
    public static let rule = "must be 1 to 140 characters without control characters"
    public let value: String

    public init?(_ value: String) {
        guard (1...Reference.lengthMax).contains(value.unicodeScalars.count),
              !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        self.value = value
    }

    public var description: String { value }
}

/// A value kept encrypted at rest, as read back: the value, or the marker that it was erased
/// (its subject's data keys were shredded). Never a corrupt value, never an error.
public enum Protected<Value: Hashable & Sendable>: Hashable, Sendable {
    case value(Value)
    case erased

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

/// The counterparty's name as the client gave it: 1 to 140 Unicode scalars, no control
/// characters. Personal data: encrypted at rest, never in the audit log.
public struct CounterpartyName: Hashable, Sendable, CustomStringConvertible {
    public static let lengthMax = 140
    public static let rule = "must be 1 to 140 characters without control characters"
    public let value: String

    public init?(_ value: String) {
        guard (1...CounterpartyName.lengthMax).contains(value.unicodeScalars.count),
              !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        self.value = value
    }

    public var description: String { value }
}
