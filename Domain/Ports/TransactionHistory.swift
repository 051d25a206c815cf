/// What an account did before a new transaction: the history features of its decision
/// (docs/policies.md §4), computed where the transactions are.
public protocol TransactionHistory: Sendable {
    /// The facts about `query.account`'s earlier transactions: those not declined (by policy, or by a
    /// reviewer's rejection), occurring in
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

/// What the adapter knows about an account's history: the windows as `HistoryFeatures` has them,
/// and for the counterparty, candidate rows by blind index, which the core opens to decide.
public struct HistoryFacts: Sendable, Hashable {
    public let windows: HistoryWindows
    /// When the account's first transaction (not declined) occurred; nil: none before this one.
    public let firstOccurredAt: UTCTimestamp?
    /// Up to `counterpartyCandidatesMax` earlier rows of the account whose counterparty-account
    /// blind index is the query's, occurring up to `occurredAt` (a truncated index matches other
    /// values too: the core opens them).
    public let counterpartyCandidates: [StoredTransaction]

    public static let counterpartyCandidatesMax = 16

    public init(windows: HistoryWindows, firstOccurredAt: UTCTimestamp?, counterpartyCandidates: [StoredTransaction]) {
        precondition(counterpartyCandidates.count <= Self.counterpartyCandidatesMax, "at most \(Self.counterpartyCandidatesMax) candidates")
        self.windows = windows
        self.firstOccurredAt = firstOccurredAt
        self.counterpartyCandidates = counterpartyCandidates
    }
}
