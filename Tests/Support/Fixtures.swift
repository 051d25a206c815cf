import Domain
import Foundation
import MemoryAdapters
import SodiumAdapters
import Synchronization

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
        reference: String? = "invoice 42", counterpartyName: CounterpartyName? = nil, account: String = "ACC-001"
    ) -> Transaction {
        Transaction(
            id: id, tenantID: tenant, accountID: AccountIdentifier(account)!,
            counterpartyAccount: .value(AccountIdentifier("DE89370400440532013000")!), counterpartyName: counterpartyName.map { .value($0) },
            money: Money(amountMinor: amountMinor, currency: Currency(code: "EUR")!)!,
            direction: .debit, kind: .transfer,
            occurredAt: try! UTCTimestamp.parse(rfc3339: "2026-11-24T09:30:00.000001Z"),
            reference: reference.flatMap(Reference.init), recordedAt: now
        )
    }
}

/// Field encryption for tests: libsodium under the documented development root key, and one
/// data key per tenant for the fixtures' subject (`ACC-001`), made once per process.
public enum Sealing {
    public static let cipher = try! SodiumFieldCipher(rootKey: .development)
    public static let indexer = try! SodiumBlindIndexer(rootKey: .development)
    public static let subjectAccount = AccountIdentifier("ACC-001")!
    private static let keys = Mutex<[TenantID: DataKeyRecord]>([:])

    /// The fixtures' data key of `tenant` (active, wrapped under KEK version 1).
    public static func key(_ tenant: TenantID) -> DataKeyRecord {
        keys.withLock { keys in
            if let key = keys[tenant] { return key }
            let reference = DataKeyReference(id: DataKeyID(UUID()), version: 1)
            let wrapped = try! cipher.makeDataKey(reference, tenant: tenant, kekVersion: 1)
            let key = DataKeyRecord(
                reference: reference, subject: DataSubject(tenant: tenant, id: subjectAccount), status: .active, wrapped: wrapped
            )
            keys[tenant] = key
            return key
        }
    }

    /// An in-memory key store holding the fixture keys of tenants A and B, as a migrated test
    /// database does (`TestDatabase.withDatabase`).
    public static func fixtureKeyStore() -> InMemoryDataKeyStore {
        InMemoryDataKeyStore(keys: [key(Fixtures.tenantA), key(Fixtures.tenantB)])
    }

    /// Field protection over `store` and `keeper`, with the test cipher.
    public static func protection(keys store: any DataKeyStore, keeper: any RecordKeeper) -> FieldProtection {
        FieldProtection(cipher: cipher, indexer: indexer, keys: store, keeper: keeper)
    }

    /// `transaction` sealed under its tenant's fixture key (the transaction's account must be the
    /// fixtures' subject).
    public static func seal(_ transaction: Transaction) -> StoredTransaction {
        precondition(transaction.accountID == subjectAccount, "fixture keys are for ACC-001")
        return try! FieldProtection(cipher: cipher, indexer: indexer, keys: NoKeys(), keeper: NoKeeper())
            .seal(transaction, key: key(transaction.tenantID))
    }

    /// A stored row opened again (nil stays nil).
    public static func open(_ stored: StoredTransaction?) throws -> Transaction? {
        try stored.map { try FieldProtection(cipher: cipher, indexer: indexer, keys: NoKeys(), keeper: NoKeeper()).open($0) }
    }

    /// The change that adds `tenant`'s fixture key, recorded in the system log.
    public static func addKey(_ tenant: TenantID) -> AuditedChange {
        AuditedChange(writes: [.addDataKey(key(tenant))], events: [AuditEvent(
            scope: .system, eventType: "keys.data_key_created", context: .unauthenticated, outcome: .success,
            resourceType: "data_key", resourceID: key(tenant).reference.id.description
        )])
    }

    /// Sealing and opening need neither a store nor a keeper.
    private struct NoKeys: DataKeyStore {
        func currentKEKVersion(tenant: TenantID) async throws -> UInt32 { preconditionFailure("not used") }
        func activeKey(of subject: DataSubject) async throws -> DataKeyRecord? { preconditionFailure("not used") }
        func newestVersion(of subject: DataSubject) async throws -> UInt32? { preconditionFailure("not used") }
        func key(_ id: DataKeyID, tenant: TenantID) async throws -> DataKeyRecord? { preconditionFailure("not used") }
    }

    private struct NoKeeper: RecordKeeper {
        func commit(_ change: AuditedChange) async throws -> [AuditReceipt] { preconditionFailure("not used") }
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

/// The policy bundle the test adapters decide with, unless a test brings its own: an amount of
/// 1,000,000.00 or more is held (block), of 5,000,000,000.00 or more declined; the fixtures'
/// amounts are approved, so their transactions are posted.
public enum PolicyFixtures {
    public static let limits = Policy(
        id: "test-limits", version: "1", status: .active, owner: "tests", refs: [],
        inputs: [PolicyInput(name: "txn.amount_minor", type: .int), PolicyInput(name: "features.count_1h", type: .int)],
        variables: [],
        rules: [
            PolicyRule(id: "large", when: "txn.amount_minor >= 100000000", score: 50, force: .block, reason: "large amount"),
            PolicyRule(id: "huge", when: "txn.amount_minor >= 500000000000", score: 50, force: .decline, reason: "huge amount"),
            PolicyRule(id: "busy", when: "features.count_1h >= 3", score: 10, reason: "third transaction within an hour"),
        ],
        thresholds: PolicyThresholds(review: 10)
    )
    public static let bundle = try! CompiledBundle([limits])
    public static let source = FixedPolicySource(bundle)

    /// A decision of `bundle` that holds its transaction (a large amount: block), for rows
    /// written directly rather than through `RecordTransaction`.
    public static var heldDecision: DecisionRecord {
        let input: CanonicalJSON = ["txn": ["amount_minor": 200_000_000], "features": ["count_1h": 0]]
        let decision = bundle.evaluate(input, decisionID: UUID(), salt: Array(repeating: 7, count: 16))
        precondition(decision.outcome == .block, "the fixture bundle blocks large amounts")
        let windows = HistoryWindows(count1h: 0, count24h: 0, count7d: 0, sum1hMinor: 0, sum24hMinor: 0, sum7dMinor: 0, cash24hMinor: 0)
        return DecisionRecord(decision: decision, features: HistoryFeatures(windows: windows, counterpartyFirstSeen: true, accountAgeDays: 0))
    }
}
