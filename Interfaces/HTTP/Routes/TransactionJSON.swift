import Domain

/// The wire format of a transaction: what `POST /v1/transactions` reads and what both routes return.
enum TransactionJSON {
    static let fieldNames: Set<String> = [
        "account_id", "counterparty_account", "counterparty_name", "amount_minor", "currency", "direction", "kind", "occurred_at",
        "reference",
    ]

    /// Maps each field to present, absent (missing or null) or malformed (wrong JSON type);
    /// unknown fields are listed so that the core rejects them.
    static func draft(from object: [String: JSONValue]) -> TransactionDraft {
        var draft = TransactionDraft()
        draft.accountID = string(object["account_id"])
        draft.counterpartyAccount = string(object["counterparty_account"])
        draft.counterpartyName = string(object["counterparty_name"])
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

    /// An account or card number as responses show it: its last 4 characters after "****", or
    /// "****" alone when it has 4 or fewer. Until callers can hold a permission to see full
    /// values (the authentication work item), responses always mask.
    static func masked(_ value: String) -> String {
        value.count > 4 ? "****" + value.suffix(4) : "****"
    }

    /// `counterparty_account` masked, `counterparty_name` as given; a field whose subject was
    /// shredded is null and named in `erased`.
    struct Response: Encodable {
        let id: String
        let accountID: String
        let counterpartyAccount: String?
        let counterpartyName: String?
        let erased: [String]
        let amountMinor: Int64
        let currency: String
        let direction: String
        let kind: String
        let occurredAt: String
        let reference: String?
        let recordedAt: String
        let status: String
        let decision: DecisionSummary?
        let submittedBy: String?
        let review: ReviewJSON?

        enum CodingKeys: String, CodingKey {
            case id, currency, direction, kind, reference, erased, status, decision, review
            case submittedBy = "submitted_by"
            case accountID = "account_id"
            case counterpartyAccount = "counterparty_account"
            case counterpartyName = "counterparty_name"
            case amountMinor = "amount_minor"
            case occurredAt = "occurred_at"
            case recordedAt = "recorded_at"
        }

        init(_ t: Transaction) {
            var erased: [String] = []
            id = t.id.description
            accountID = t.accountID.value
            switch t.counterpartyAccount {
            case .value(let account): counterpartyAccount = TransactionJSON.masked(account.value)
            case .erased:
                counterpartyAccount = nil
                erased.append("counterparty_account")
            }
            switch t.counterpartyName {
            case .value(let name)?: counterpartyName = name.value
            case .erased?:
                counterpartyName = nil
                erased.append("counterparty_name")
            case nil: counterpartyName = nil
            }
            self.erased = erased
            amountMinor = t.money.amountMinor
            currency = t.money.currency.code
            direction = t.direction.rawValue
            kind = t.kind.rawValue
            occurredAt = t.occurredAt.rfc3339
            reference = t.reference?.value
            recordedAt = t.recordedAt.rfc3339
            status = t.currentStatus.rawValue
            decision = t.decision.map(DecisionSummary.init)
            submittedBy = t.submittedBy?.description
            review = t.review.map(ReviewJSON.init)
        }

        /// Optional members are always present, as null when there is none.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(accountID, forKey: .accountID)
            try container.encode(counterpartyAccount, forKey: .counterpartyAccount)
            try container.encode(counterpartyName, forKey: .counterpartyName)
            try container.encode(amountMinor, forKey: .amountMinor)
            try container.encode(currency, forKey: .currency)
            try container.encode(direction, forKey: .direction)
            try container.encode(kind, forKey: .kind)
            try container.encode(occurredAt, forKey: .occurredAt)
            try container.encode(reference, forKey: .reference)
            try container.encode(recordedAt, forKey: .recordedAt)
            try container.encode(erased, forKey: .erased)
            try container.encode(status, forKey: .status)
            try container.encode(decision, forKey: .decision)
            try container.encode(submittedBy, forKey: .submittedBy)
            try container.encode(review, forKey: .review)
        }
    }

    /// A reviewer's decision (maker-checker), in a transaction and as `POST /v1/reviews/{id}`'s answer.
    struct ReviewJSON: Encodable {
        let transactionID: String
        let decision: String
        let reason: String
        let decidedBy: String
        let decidedAt: String
        let status: String

        enum CodingKeys: String, CodingKey {
            case decision, reason, status
            case transactionID = "transaction_id"
            case decidedBy = "decided_by"
            case decidedAt = "decided_at"
        }

        init(_ review: Review) {
            transactionID = review.transactionID.description
            decision = review.verdict.rawValue
            reason = review.reason.value
            decidedBy = review.decidedBy.description
            decidedAt = review.decidedAt.rfc3339
            status = review.verdict.status.rawValue
        }
    }

    /// What a transaction's response says of its decision: outcome, score and the rules that
    /// fired, with their reasons (shadow policies' rules are left out: they decide nothing).
    struct DecisionSummary: Encodable {
        struct Fired: Encodable {
            let policy: String
            let rule: String
            let reason: String
            let score: Int
        }
        let id: String
        let outcome: String
        let score: Int
        let bundleHash: String
        let fired: [Fired]
        let errors: Int

        enum CodingKeys: String, CodingKey {
            case id, outcome, score, fired, errors
            case bundleHash = "bundle_hash"
        }

        init(_ record: DecisionRecord) {
            let d = record.decision
            id = d.id.uuidString.lowercased()
            outcome = d.outcome.rawValue
            score = d.score
            bundleHash = d.bundleHash
            fired = d.fired().map { Fired(policy: $0.policy, rule: $0.rule, reason: $0.reason, score: $0.scoreContribution) }
            errors = d.trace.filter { if case .error = $0.result { !$0.shadow } else { false } }.count
        }
    }

    /// A page of a list (`GET /v1/transactions`, `/v1/reviews`): the items, and the cursor of the
    /// next page, null on the last one.
    struct ListResponse: Encodable {
        let items: [Response]
        let nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case items
            case nextCursor = "next_cursor"
        }

        init(_ page: Page<Transaction>) {
            items = page.items.map(Response.init)
            nextCursor = page.next?.token
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor)
        }
    }
}
