/// Counts and sums of an account's earlier transactions (not declined ones) in the windows that
/// end at a transaction's `occurred_at`: 1 h, 24 h and 7 d. Counts cover every currency; sums
/// are in the transaction's currency, in minor units, saturating at `sumMinorMax`.
public struct HistoryWindows: Sendable, Hashable {
    public let count1h: Int
    public let count24h: Int
    public let count7d: Int
    public let sum1hMinor: Int64
    public let sum24hMinor: Int64
    public let sum7dMinor: Int64
    /// Cash amounts in the last 24 h.
    public let cash24hMinor: Int64

    /// The largest count or sum a feature carries: the largest integer canonical JSON holds.
    public static let sumMinorMax: Int64 = 9_007_199_254_740_991

    public init(count1h: Int, count24h: Int, count7d: Int, sum1hMinor: Int64, sum24hMinor: Int64, sum7dMinor: Int64, cash24hMinor: Int64) {
        for count in [count1h, count24h, count7d] {
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
    }

    public static let empty = HistoryWindows(count1h: 0, count24h: 0, count7d: 0, sum1hMinor: 0, sum24hMinor: 0, sum7dMinor: 0, cash24hMinor: 0)
}

/// The history features bound as `features.*` in a decision's input (docs/policies.md §4): what
/// the account did before this transaction, computed through the `TransactionHistory` port and
/// recorded with the decision, so that a replay uses exactly these values.
public struct HistoryFeatures: Sendable, Hashable {
    public let windows: HistoryWindows
    /// True when the account never had a transaction with this counterparty account before.
    public let counterpartyFirstSeen: Bool
    /// Whole days from the account's first transaction to this one; 0 for a new account.
    public let accountAgeDays: Int

    public init(windows: HistoryWindows, counterpartyFirstSeen: Bool, accountAgeDays: Int) {
        precondition((0...Int(HistoryWindows.sumMinorMax)).contains(accountAgeDays), "an age is a non-negative safe integer")
        self.windows = windows
        self.counterpartyFirstSeen = counterpartyFirstSeen
        self.accountAgeDays = accountAgeDays
    }

    /// An account with no history.
    public static let none = HistoryFeatures(windows: .empty, counterpartyFirstSeen: true, accountAgeDays: 0)

    public var canonicalJSON: CanonicalJSON {
        func integer(_ value: some BinaryInteger) -> CanonicalJSON {
            guard let json = CanonicalJSON(exactly: value) else { preconditionFailure("checked in init") }
            return json
        }
        let w = windows
        return .object(.init([
            "count_1h": integer(w.count1h), "count_24h": integer(w.count24h), "count_7d": integer(w.count7d),
            "sum_1h_minor": integer(w.sum1hMinor), "sum_24h_minor": integer(w.sum24hMinor), "sum_7d_minor": integer(w.sum7dMinor),
            "cash_24h_minor": integer(w.cash24hMinor), "counterparty_first_seen": .bool(counterpartyFirstSeen),
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
            windows: HistoryWindows(
                count1h: Int(c1), count24h: Int(c24), count7d: Int(c7), sum1hMinor: s1, sum24hMinor: s24, sum7dMinor: s7, cash24hMinor: cash
            ),
            counterpartyFirstSeen: firstSeen, accountAgeDays: Int(age)
        )
    }
}
