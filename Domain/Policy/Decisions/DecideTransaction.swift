/// Decides a validated transaction with the active bundle: its history features through the
/// `TransactionHistory` port, its input document, and the bundle's decision with a fresh salt.
public struct DecideTransaction: Sendable {
    private let policies: any ActivePolicySource
    private let history: any TransactionHistory
    private let fields: FieldProtection
    private let ids: any IDGenerator

    public init(policies: any ActivePolicySource, history: any TransactionHistory, fields: FieldProtection, ids: any IDGenerator) {
        self.policies = policies
        self.history = history
        self.fields = fields
        self.ids = ids
    }

    /// The active bundle, or `PolicyUnavailable` when none is.
    public func bundle() async throws -> CompiledBundle {
        guard let bundle = try await policies.current() else { throw PolicyUnavailable() }
        return bundle
    }

    /// `transaction` (plaintext fields) decided by `bundle`.
    public func callAsFunction(_ transaction: Transaction, with bundle: CompiledBundle) async throws -> DecisionRecord {
        let features = try await features(of: transaction)
        let input = DecisionInput.document(for: transaction, features: features)
        var random = SystemRandomNumberGenerator()
        let salt = (0..<Decision.saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let decision = bundle.evaluate(input, decisionID: ids.newDecisionID(), salt: salt)
        return DecisionRecord(decision: decision, features: features)
    }

    /// The account's history before `transaction`, as features.
    func features(of transaction: Transaction) async throws -> HistoryFeatures {
        guard let account = transaction.counterpartyAccount.value else { preconditionFailure("deciding needs plaintext fields") }
        let query = HistoryQuery(
            tenant: transaction.tenantID, account: transaction.accountID, currency: transaction.money.currency,
            occurredAt: transaction.occurredAt,
            counterpartyAccountIndex: fields.indexValue(account.value, in: .counterpartyAccount, tenant: transaction.tenantID)
        )
        let facts = try await history.facts(query)
        let wanted = BlindIndex.normalize(account.value)
        var firstSeen = true
        for candidate in facts.counterpartyCandidates {
            precondition(candidate.tenantID == transaction.tenantID && candidate.accountID == transaction.accountID, "history of another account")
            // An erased candidate cannot be compared: it counts as unseen (the stricter reading).
            if let seen = try fields.open(candidate).counterpartyAccount.value, BlindIndex.normalize(seen.value) == wanted {
                firstSeen = false
                break
            }
        }
        var ageDays = 0
        if let first = facts.firstOccurredAt, first < transaction.occurredAt {
            ageDays = Int((transaction.occurredAt.microsecondsSinceEpoch - first.microsecondsSinceEpoch) / HistoryQuery.dayMicroseconds)
        }
        return HistoryFeatures(windows: facts.windows, counterpartyFirstSeen: firstSeen, accountAgeDays: ageDays)
    }
}
