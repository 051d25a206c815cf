import Domain

/// The wire format of a transaction: what `POST /v1/transactions` reads and what both routes return.
enum TransactionJSON {
    static let fieldNames: Set<String> = [
        "account_id", "counterparty_account", "amount_minor", "currency", "direction", "kind", "occurred_at", "reference",
    ]

    /// Maps each field to present, absent (missing or null) or malformed (wrong JSON type);
    /// unknown fields are listed so that the core rejects them.
    static func draft(from object: [String: JSONValue]) -> TransactionDraft {
        var draft = TransactionDraft()
        draft.accountID = string(object["account_id"])
        draft.counterpartyAccount = string(object["counterparty_account"])
        draft.amountMinor = integer(object["amount_minor"])
        draft.currency = string(object["currency"])
        draft.direction = string(object["direction"])
        draft.kind = string(object["kind"])
        draft.occurredAt = string(object["occurred_at"])
        draft.reference = string(object["reference"])
        draft.unknownFields = object.keys.filter { !fieldNames.contains($0) }
        return draft
    }

    private static func string(_ value: JSONValue?) -> FieldInput<String> {
        switch value {
        case nil, .null?: .absent
        case .string(let text)?: .present(text)
        case let other?: .malformed(reason: "must be a string, not \(other.typeName)")
        }
    }

    private static func integer(_ value: JSONValue?) -> FieldInput<Int64> {
        switch value {
        case nil, .null?: .absent
        case .integer(let number)?: .present(number)
        case .number?:
            .malformed(reason: "must be a whole number of minor units from 1 to \(Money.amountMinorMax)")
        case .string?: .malformed(reason: "must be a JSON integer of minor units, not a string")
        case let other?: .malformed(reason: "must be a JSON integer of minor units, not \(other.typeName)")
        }
    }

    struct Response: Encodable {
        let id: String
        let accountID: String
        let counterpartyAccount: String
        let amountMinor: Int64
        let currency: String
        let direction: String
        let kind: String
        let occurredAt: String
        let reference: String?
        let recordedAt: String

        enum CodingKeys: String, CodingKey {
            case id, currency, direction, kind, reference
            case accountID = "account_id"
            case counterpartyAccount = "counterparty_account"
            case amountMinor = "amount_minor"
            case occurredAt = "occurred_at"
            case recordedAt = "recorded_at"
        }

        init(_ t: Transaction) {
            id = t.id.description
            accountID = t.accountID.value
            counterpartyAccount = t.counterpartyAccount.value
            amountMinor = t.money.amountMinor
            currency = t.money.currency.code
            direction = t.direction.rawValue
            kind = t.kind.rawValue
            occurredAt = t.occurredAt.rfc3339
            reference = t.reference?.value
            recordedAt = t.recordedAt.rfc3339
        }

        /// `reference` is always present, as null when there is none.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(accountID, forKey: .accountID)
            try container.encode(counterpartyAccount, forKey: .counterpartyAccount)
            try container.encode(amountMinor, forKey: .amountMinor)
            try container.encode(currency, forKey: .currency)
            try container.encode(direction, forKey: .direction)
            try container.encode(kind, forKey: .kind)
            try container.encode(occurredAt, forKey: .occurredAt)
            try container.encode(reference, forKey: .reference)
            try container.encode(recordedAt, forKey: .recordedAt)
        }
    }
}
