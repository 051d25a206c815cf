import Domain
import Foundation

/// Builders for valid values, so each test states only what it varies.
public enum Fixtures {
    public static let tenantA = TenantID(UUID(uuidString: "0a000000-0000-4000-8000-00000000000a")!)
    public static let tenantB = TenantID(UUID(uuidString: "0b000000-0000-4000-8000-00000000000b")!)
    /// 2026-11-24T10:00:00.123456Z: a microsecond part, to prove nothing is rounded.
    public static let now = try! UTCTimestamp.parse(rfc3339: "2026-11-24T10:00:00.123456Z")

    public static func draft(
        amountMinor: Int64 = 12_345, currency: String = "EUR", occurredAt: String = "2026-11-24T09:30:00.000001Z",
        reference: String? = "invoice 42"
    ) -> TransactionDraft {
        var draft = TransactionDraft()
        draft.accountID = .present("ACC-001")
        draft.counterpartyAccount = .present("DE89370400440532013000")
        draft.amountMinor = .present(amountMinor)
        draft.currency = .present(currency)
        draft.direction = .present("debit")
        draft.kind = .present("transfer")
        draft.occurredAt = .present(occurredAt)
        draft.reference = reference.map { .present($0) } ?? .absent
        return draft
    }

    public static func transaction(
        id: TransactionID = TransactionID(UUID()), tenant: TenantID = tenantA, amountMinor: Int64 = 12_345,
        reference: String? = "invoice 42"
    ) -> Transaction {
        Transaction(
            id: id, tenantID: tenant, accountID: AccountIdentifier("ACC-001")!,
            counterpartyAccount: AccountIdentifier("DE89370400440532013000")!,
            money: Money(amountMinor: amountMinor, currency: Currency(code: "EUR")!)!,
            direction: .debit, kind: .transfer,
            occurredAt: try! UTCTimestamp.parse(rfc3339: "2026-11-24T09:30:00.000001Z"),
            reference: reference.flatMap(Reference.init), recordedAt: now
        )
    }
}

/// A JSON body for `POST /v1/transactions` with every field valid; override what a test varies.
public func transactionJSON(_ overrides: [String: Any?] = [:]) -> String {
    var object: [String: Any] = [
        "account_id": "ACC-001", "counterparty_account": "DE89370400440532013000", "amount_minor": 12_345,
        "currency": "EUR", "direction": "debit", "kind": "transfer", "occurred_at": "2026-11-24T09:30:00Z",
        "reference": "invoice 42",
    ]
    for (key, value) in overrides {
        if let value { object[key] = value } else { object.removeValue(forKey: key) }
    }
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
