/// One field of untrusted input as a driving adapter received it. Adapters say only whether
/// a value was there and had the right shape; the core decides whether it is acceptable.
public enum FieldInput<Value: Sendable>: Sendable {
    case absent
    /// Present but of the wrong shape (a number where text belongs, say); the reason says what was expected.
    case malformed(reason: String)
    case present(Value)
}

/// A request to record a transaction, before validation. Field names are the public
/// (snake_case) names, so that errors point at what the caller sent.
public struct TransactionDraft: Sendable {
    public var accountID: FieldInput<String> = .absent
    public var counterpartyAccount: FieldInput<String> = .absent
    public var counterpartyName: FieldInput<String> = .absent
    public var amountMinor: FieldInput<Int64> = .absent
    public var currency: FieldInput<String> = .absent
    public var direction: FieldInput<String> = .absent
    public var kind: FieldInput<String> = .absent
    public var occurredAt: FieldInput<String> = .absent
    public var reference: FieldInput<String> = .absent
    /// Fields the caller sent that Custos does not know; each is rejected rather than ignored.
    public var unknownFields: [String] = []

    public init() {}
}
