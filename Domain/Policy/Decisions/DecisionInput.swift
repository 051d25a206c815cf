import Foundation

/// The document a transaction is decided on (docs/policies.md §4): `txn` from the transaction,
/// `features` from its account's history. Built the same way when deciding and when replaying,
/// so that a replay reproduces the input's digest exactly.
public enum DecisionInput {
    public static func document(for transaction: Transaction, features: HistoryFeatures) -> CanonicalJSON {
        var txn: [String: CanonicalJSON] = [
            "id": .string(transaction.id.description),
            "account_id": .string(transaction.accountID.value),
            "amount_minor": CanonicalJSON(exactly: transaction.money.amountMinor) ?? .null,
            "currency": .string(transaction.money.currency.code),
            "direction": .string(transaction.direction.rawValue),
            "kind": .string(transaction.kind.rawValue),
            "occurred_at": .string(transaction.occurredAt.rfc3339),
            "occurred_hour_utc": CanonicalJSON(exactly: hourOfDay(transaction.occurredAt)) ?? .null,
        ]
        if let account = transaction.counterpartyAccount.value {
            txn["counterparty_account"] = .string(account.value)
            if let country = ibanCountry(account.value) { txn["counterparty_country"] = .string(country) }
        }
        if let name = transaction.counterpartyName?.value { txn["counterparty_name"] = .string(name.value) }
        if let reference = transaction.reference { txn["reference"] = .string(reference.value) }
        return .object(.init(["txn": .object(.init(txn)), "features": features.canonicalJSON]))
    }

    /// The digest a decision records (docs/policies.md §7): SHA-256, hex, of the RFC 8785 bytes of
    /// `{"input": input, "salt": base64(salt)}`. The salt keeps a guessed value from being
    /// confirmed against the digest in the audit log.
    public static func digest(_ input: CanonicalJSON, salt: [UInt8]) -> String {
        let salted: CanonicalJSON = .object(.init(["input": input, "salt": .string(Data(salt).base64EncodedString())]))
        return SHA256.hash(salted.canonicalBytes).hexString
    }

    /// 0 to 23.
    static func hourOfDay(_ timestamp: UTCTimestamp) -> Int {
        let microsecondsPerHour: Int64 = 3_600_000_000
        let hours = timestamp.microsecondsSinceEpoch / microsecondsPerHour
            - (timestamp.microsecondsSinceEpoch % microsecondsPerHour < 0 ? 1 : 0)
        let hour = Int(hours % 24)
        return hour < 0 ? hour + 24 : hour
    }

    /// The country of an IBAN (ISO 13616: two letters, two check digits, up to 30 letters and
    /// digits, mod-97 check), or nil for any other kind of account identifier.
    public static func ibanCountry(_ account: String) -> String? {
        let scalars = Array(account.uppercased().unicodeScalars)
        guard (15...34).contains(scalars.count),
              scalars[0...1].allSatisfy({ ("A"..."Z").contains($0) }),
              scalars[2...3].allSatisfy({ ("0"..."9").contains($0) }),
              scalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
        else { return nil }
        var remainder = 0
        for scalar in scalars[4...] + scalars[0..<4] {
            let value = ("0"..."9").contains(scalar) ? Int(scalar.value) - 48 : Int(scalar.value) - 55
            remainder = (value >= 10 ? remainder * 100 + value : remainder * 10 + value) % 97
        }
        guard remainder == 1 else { return nil }
        return String(String.UnicodeScalarView(scalars[0...1]))
    }
}
