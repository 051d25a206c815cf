/// Turns a draft into a valid `Transaction` or a `ValidationFailed` naming every bad field.
struct TransactionValidator {
    /// How far ahead of the server's clock `occurred_at` may be: allows for client clock skew.
    static let occurredAtAheadMicrosecondsMax: Int64 = 5 * 60 * 1_000_000
    /// Movements before the Unix epoch are refused as implausible input.
    static let occurredAtMin = UTCTimestamp(microsecondsSinceEpoch: 0)

    private var errors: [FieldError] = []

    static func validate(
        _ draft: TransactionDraft, id: TransactionID, tenant: TenantID, now: UTCTimestamp, submittedBy: ClientID? = nil
    ) throws(ValidationFailed) -> Transaction {
        var v = TransactionValidator()
        let account = v.check("account_id", draft.accountID, "invalid_account", AccountIdentifier.rule) {
            AccountIdentifier($0)
        }
        let counterparty = v.check(
            "counterparty_account", draft.counterpartyAccount, "invalid_account", AccountIdentifier.rule
        ) { AccountIdentifier($0) }
        let currency = v.check(
            "currency", draft.currency, "unknown_currency", "must be an active ISO 4217 code in upper case, such as EUR"
        ) { Currency(code: $0) }
        let amount = v.check(
            "amount_minor", draft.amountMinor, "amount_out_of_range",
            "must be a whole number of minor units from 1 to \(Money.amountMinorMax)"
        ) { $0 > 0 && $0 <= Money.amountMinorMax ? $0 : nil }
        let direction = v.check("direction", draft.direction, "invalid_choice", "must be one of: debit, credit") {
            Transaction.Direction(rawValue: $0)
        }
        let kind = v.check("kind", draft.kind, "invalid_choice", "must be one of: card, transfer, cash") {
            Transaction.Kind(rawValue: $0)
        }
        let occurredAt = v.occurredAt(draft.occurredAt, now: now)
        var reference: Reference?
        if case .absent = draft.reference {} else {
            reference = v.check("reference", draft.reference, "invalid_reference", Reference.rule) { Reference($0) }
        }
        var name: CounterpartyName?
        if case .absent = draft.counterpartyName {} else {
            name = v.check("counterparty_name", draft.counterpartyName, "invalid_name", CounterpartyName.rule) { CounterpartyName($0) }
        }
        for name in draft.unknownFields.sorted() {
            v.errors.append(FieldError(field: name, code: "unknown_field", reason: "is not a field of a transaction"))
        }

        guard v.errors.isEmpty,
              let account, let counterparty, let currency, let amount, let direction, let kind, let occurredAt,
              let money = Money(amountMinor: amount, currency: currency)
        else { throw ValidationFailed(v.errors) }
        return Transaction(
            id: id, tenantID: tenant, accountID: account, counterpartyAccount: .value(counterparty),
            counterpartyName: name.map { .value($0) }, money: money,
            direction: direction, kind: kind, occurredAt: occurredAt, reference: reference, recordedAt: now, submittedBy: submittedBy
        )
    }

    /// The raw value when present; records `required` or `wrong_type` otherwise.
    private mutating func raw<Raw>(_ field: String, _ input: FieldInput<Raw>) -> Raw? {
        switch input {
        case .absent:
            errors.append(FieldError(field: field, code: "required", reason: "is required"))
            return nil
        case .malformed(let reason):
            errors.append(FieldError(field: field, code: "wrong_type", reason: reason))
            return nil
        case .present(let value):
            return value
        }
    }

    /// The parsed value, or `nil` with exactly one error recorded for the field.
    private mutating func check<Raw, Value>(
        _ field: String, _ input: FieldInput<Raw>, _ code: String, _ reason: String, _ parse: (Raw) -> Value?
    ) -> Value? {
        guard let rawValue = raw(field, input) else { return nil }
        guard let value = parse(rawValue) else { return fail(field, code, reason) }
        return value
    }

    private mutating func fail<Value>(_ field: String, _ code: String, _ reason: String) -> Value? {
        errors.append(FieldError(field: field, code: code, reason: reason))
        return nil
    }

    private mutating func occurredAt(_ input: FieldInput<String>, now: UTCTimestamp) -> UTCTimestamp? {
        let field = "occurred_at"
        guard let text = raw(field, input) else { return nil }
        let stamp: UTCTimestamp
        do {
            stamp = try UTCTimestamp.parse(rfc3339: text)
        } catch .tooPrecise {
            return fail(field, "invalid_timestamp", "has more than 6 fractional second digits")
        } catch {
            return fail(field, "invalid_timestamp", "must be an RFC 3339 date-time such as 2026-11-24T09:30:00Z")
        }
        if stamp < TransactionValidator.occurredAtMin {
            return fail(field, "timestamp_out_of_range", "must not be before 1970-01-01T00:00:00Z")
        }
        if stamp > now.adding(microseconds: TransactionValidator.occurredAtAheadMicrosecondsMax) {
            return fail(field, "timestamp_in_future", "must not be more than 5 minutes ahead of the server's clock")
        }
        return stamp
    }
}
