/// The history features bound as `features.*` in a decision's input (docs/policies.md §4):
/// what the account did before this transaction, computed by a `TransactionHistory` adapter and
/// recorded with the decision, so that a replay uses exactly these values.
public struct HistoryFeatures: Sendable, Hashable {
    /// The account's transactions (any currency, not declined) in the windows ending at this
    /// transaction's `occurred_at`.
    public let count1h: Int
    public let count24h: Int
    public let count7d: Int
    /// Their amounts in this transaction's currency, in minor units (saturating at 2^53 − 1).
    public let sum1hMinor: Int64
    public let sum24hMinor: Int64
    public let sum7dMinor: Int64
    /// Cash amounts in this transaction's currency in the last 24 h.
    public let cash24hMinor: Int64
    /// True when the account never had a transaction with this counterparty account before.
    public let counterpartyFirstSeen: Bool
    /// Whole days from the account's first transaction to this one; 0 for a new account.
    public let accountAgeDays: Int

    /// The largest sum a feature carries: the largest integer canonical JSON holds.
    public static let sumMinorMax: Int64 = 9_007_199_254_740_991

    public init(
        count1h: Int, count24h: Int, count7d: Int, sum1hMinor: Int64, sum24hMinor: Int64, sum7dMinor: Int64,
        cash24hMinor: Int64, counterpartyFirstSeen: Bool, accountAgeDays: Int
    ) {
        for count in [count1h, count24h, count7d, accountAgeDays] {
            precondition((0...Int(Self.sumMinorMax)).contains(count), "a count is a non-negative safe integer")
        }
        for sum in [sum1hMinor, sum24hMinor, sum7dMinor, cash24hMinor] {
            precondition((0...Self.sumMinorMax).contains(sum), "a sum is a non-negative safe integer")
        }
        precondition(count1h <= count24h && count24h <= count7d, "windows nest")
        self.count1h = count1h
        self.count24h = count24h
        self.count7d = count7d
        self.sum1hMinor = sum1hMinor
        self.sum24hMinor = sum24hMinor
        self.sum7dMinor = sum7dMinor
        self.cash24hMinor = cash24hMinor
        self.counterpartyFirstSeen = counterpartyFirstSeen
        self.accountAgeDays = accountAgeDays
    }

    /// An account with no history.
    public static let none = HistoryFeatures(
        count1h: 0, count24h: 0, count7d: 0, sum1hMinor: 0, sum24hMinor: 0, sum7dMinor: 0, cash24hMinor: 0,
        counterpartyFirstSeen: true, accountAgeDays: 0
    )

    public var canonicalJSON: CanonicalJSON {
        func integer(_ value: some BinaryInteger) -> CanonicalJSON {
            guard let json = CanonicalJSON(exactly: value) else { preconditionFailure("checked in init") }
            return json
        }
        return .object(.init([
            "count_1h": integer(count1h), "count_24h": integer(count24h), "count_7d": integer(count7d),
            "sum_1h_minor": integer(sum1hMinor), "sum_24h_minor": integer(sum24hMinor), "sum_7d_minor": integer(sum7dMinor),
            "cash_24h_minor": integer(cash24hMinor), "counterparty_first_seen": .bool(counterpartyFirstSeen),
            "account_age_days": integer(accountAgeDays),
        ]))
    }

    /// Reads the form `canonicalJSON` writes; nil for anything else.
    public init?(canonicalJSON json: CanonicalJSON) {
        guard case .object(let object) = json, object.count == 9 else { return nil }
        func int(_ name: String) -> Int64? {
            guard case .integer(let value)? = object[name], value.value >= 0 else { return nil }
            return value.value
        }
        guard let c1 = int("count_1h"), let c24 = int("count_24h"), let c7 = int("count_7d"),
              let s1 = int("sum_1h_minor"), let s24 = int("sum_24h_minor"), let s7 = int("sum_7d_minor"),
              let cash = int("cash_24h_minor"), let age = int("account_age_days"),
              case .bool(let firstSeen)? = object["counterparty_first_seen"], c1 <= c24, c24 <= c7
        else { return nil }
        self.init(
            count1h: Int(c1), count24h: Int(c24), count7d: Int(c7), sum1hMinor: s1, sum24hMinor: s24, sum7dMinor: s7,
            cash24hMinor: cash, counterpartyFirstSeen: firstSeen, accountAgeDays: Int(age)
        )
    }
}
