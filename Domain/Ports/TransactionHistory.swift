/// What an account did before a new transaction: the history features of its decision
/// (docs/policies.md §4), computed where the transactions are.
public protocol TransactionHistory: Sendable {
    /// The facts about `query.account`'s earlier transactions: those not declined, occurring in
    /// the 7 days up to and including `query.occurredAt`, and the account's first one.
    func facts(_ query: HistoryQuery) async throws -> HistoryFacts
}

public struct HistoryQuery: Sendable, Hashable {
    public let tenant: TenantID
    public let account: AccountIdentifier
    public let currency: Currency
    public let occurredAt: UTCTimestamp
    /// The blind-index value of the new transaction's counterparty account, to find earlier rows
    /// that may have the same one.
    public let counterpartyAccountIndex: UInt32
    public init(tenant: TenantID, account: AccountIdentifier, currency: Currency, occurredAt: UTCTimestamp, counterpartyAccountIndex: UInt32) {
        self.tenant = tenant
        self.account = account
        self.currency = currency
        self.occurredAt = occurredAt
        self.counterpartyAccountIndex = counterpartyAccountIndex
    }

    /// The windows, each ending at `occurredAt` (inclusive) and starting after `occurredAt − length`.
    public static let hourMicroseconds: Int64 = 3_600_000_000
    public static let dayMicroseconds: Int64 = 24 * hourMicroseconds
    public static let weekMicroseconds: Int64 = 7 * dayMicroseconds
}

/// Counts and sums over the windows, as `HistoryFeatures` has them, except for the counterparty:
/// the adapter returns candidate rows by blind index, and the core opens them to decide.
public struct HistoryFacts: Sendable, Hashable {
    public let count1h: Int
    public let count24h: Int
    public let count7d: Int
    /// In the query's currency, saturating at `HistoryFeatures.sumMinorMax`.
    public let sum1hMinor: Int64
    public let sum24hMinor: Int64
    public let sum7dMinor: Int64
    public let cash24hMinor: Int64
    /// When the account's first transaction (not declined) occurred; nil: none before this one.
    public let firstOccurredAt: UTCTimestamp?
    /// Up to `counterpartyCandidatesMax` earlier rows of the account whose counterparty-account
    /// blind index is the query's, occurring up to `occurredAt` (a truncated index matches other
    /// values too: the core opens them).
    public let counterpartyCandidates: [StoredTransaction]

    public static let counterpartyCandidatesMax = 16

    public init(
        count1h: Int, count24h: Int, count7d: Int, sum1hMinor: Int64, sum24hMinor: Int64, sum7dMinor: Int64,
        cash24hMinor: Int64, firstOccurredAt: UTCTimestamp?, counterpartyCandidates: [StoredTransaction]
    ) {
        precondition(counterpartyCandidates.count <= Self.counterpartyCandidatesMax, "at most \(Self.counterpartyCandidatesMax) candidates")
        self.count1h = count1h
        self.count24h = count24h
        self.count7d = count7d
        self.sum1hMinor = sum1hMinor
        self.sum24hMinor = sum24hMinor
        self.sum7dMinor = sum7dMinor
        self.cash24hMinor = cash24hMinor
        self.firstOccurredAt = firstOccurredAt
        self.counterpartyCandidates = counterpartyCandidates
    }
}
