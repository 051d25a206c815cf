import Foundation

/// A protected column as stored: sealed, or (rows written before field encryption, until
/// `custos keys reencrypt` seals them) the plaintext.
public enum StoredField: Hashable, Sendable {
    case sealed(SealedField)
    case plaintext(String)
}

/// A transaction as stored: its counterparty fields sealed under its subject's data key, with
/// their blind-index values (nil once the subject is shredded, or for a legacy plaintext row).
public struct StoredTransaction: Hashable, Sendable {
    public let id: TransactionID
    public let tenantID: TenantID
    public let accountID: AccountIdentifier
    public let counterpartyAccount: StoredField
    public let counterpartyAccountIndex: UInt32?
    public let counterpartyName: StoredField?
    public let counterpartyNameIndex: UInt32?
    public let money: Money
    public let direction: Transaction.Direction
    public let kind: Transaction.Kind
    public let occurredAt: UTCTimestamp
    public let reference: Reference?
    public let recordedAt: UTCTimestamp
    /// The data key that sealed the fields: when writing, the active key used; when reading, the
    /// key's row as it is now (destroyed keys have no wrapped bytes). Nil for a legacy row.
    public let dataKey: DataKeyRecord?
    public let status: TransactionStatus
    public let decision: DecisionRecord?
    public let submittedBy: ClientID?
    /// Its review, when read back (never written with the row: reviews are rows of their own).
    public let review: Review?

    /// Where it stands now: its recorded `status`, or what its review made of it.
    public var currentStatus: TransactionStatus { review?.verdict.status ?? status }

    public init(
        id: TransactionID, tenantID: TenantID, accountID: AccountIdentifier,
        counterpartyAccount: StoredField, counterpartyAccountIndex: UInt32?,
        counterpartyName: StoredField?, counterpartyNameIndex: UInt32?,
        money: Money, direction: Transaction.Direction, kind: Transaction.Kind,
        occurredAt: UTCTimestamp, reference: Reference?, recordedAt: UTCTimestamp, dataKey: DataKeyRecord?,
        status: TransactionStatus = .posted, decision: DecisionRecord? = nil, submittedBy: ClientID? = nil, review: Review? = nil
    ) {
        precondition(decision.map { TransactionStatus(outcome: $0.decision.outcome) == status } ?? true, "status follows the decision")
        precondition(review.map { $0.transactionID == id && $0.tenant == tenantID && status == .held } ?? true, "only a held transaction is reviewed")
        self.id = id
        self.tenantID = tenantID
        self.accountID = accountID
        self.counterpartyAccount = counterpartyAccount
        self.counterpartyAccountIndex = counterpartyAccountIndex
        self.counterpartyName = counterpartyName
        self.counterpartyNameIndex = counterpartyNameIndex
        self.money = money
        self.direction = direction
        self.kind = kind
        self.occurredAt = occurredAt
        self.reference = reference
        self.recordedAt = recordedAt
        self.dataKey = dataKey
        self.status = status
        self.decision = decision
        self.submittedBy = submittedBy
        self.review = review
    }

    /// The same row with another data key's row (as read now), all else unchanged.
    public func with(dataKey: DataKeyRecord?) -> StoredTransaction {
        with(dataKey: dataKey, review: review)
    }

    private func with(dataKey: DataKeyRecord?, review: Review?) -> StoredTransaction {
        StoredTransaction(
            id: id, tenantID: tenantID, accountID: accountID, counterpartyAccount: counterpartyAccount,
            counterpartyAccountIndex: counterpartyAccountIndex, counterpartyName: counterpartyName,
            counterpartyNameIndex: counterpartyNameIndex, money: money, direction: direction, kind: kind,
            occurredAt: occurredAt, reference: reference, recordedAt: recordedAt, dataKey: dataKey, status: status, decision: decision,
            submittedBy: submittedBy, review: review
        )
    }

    /// The same row with its review (as read back), all else unchanged.
    public func with(review: Review?) -> StoredTransaction {
        with(dataKey: dataKey, review: review)
    }

    /// Whose key protects the row's fields: the holder of its account.
    public var subject: DataSubject { DataSubject(tenant: tenantID, id: accountID) }
}

/// Seals and opens a transaction's protected fields (docs/encryption.md §6): the core's side of
/// field encryption. Key bytes stay in the `FieldCipher` adapter; this decides which key, which
/// binding, and what a destroyed key means.
public struct FieldProtection: Sendable {
    public static let table = "transactions"
    private let cipher: any FieldCipher
    private let indexer: any BlindIndexer
    private let keys: any DataKeyStore
    private let keeper: any RecordKeeper

    public init(cipher: any FieldCipher, indexer: any BlindIndexer, keys: any DataKeyStore, keeper: any RecordKeeper) {
        self.cipher = cipher
        self.indexer = indexer
        self.keys = keys
        self.keeper = keeper
    }

    /// The subject's active data key, made (and its making audited in the system log) when it
    /// has none: never had one, or was shredded (old data stays erased; new data gets a new key).
    public func activeKey(of subject: DataSubject, context: AuditContext) async throws -> DataKeyRecord {
        for _ in 0..<3 {
            if let key = try await keys.activeKey(of: subject) { return key }
            let kekVersion = try await keys.currentKEKVersion(tenant: subject.tenant)
            let version = (try await keys.newestVersion(of: subject) ?? 0) + 1
            let reference = DataKeyReference(id: DataKeyID(UUID()), version: version)
            let wrapped = try cipher.makeDataKey(reference, tenant: subject.tenant, kekVersion: kekVersion)
            let record = DataKeyRecord(reference: reference, subject: subject, status: .active, wrapped: wrapped)
            // A key operation, so in the system log (as `custos keys` operations are); the subject id
            // is the tenant's account identifier, so it is not recorded.
            let event = AuditEvent(
                scope: .system, eventType: "keys.data_key_created", context: context, outcome: .success,
                resourceType: "data_key", resourceID: reference.id.description,
                details: [
                    "tenant": .string(subject.tenant.description),
                    "version": CanonicalJSON(exactly: Int(version)) ?? .null, "kek_version": CanonicalJSON(exactly: Int(kekVersion)) ?? .null,
                ]
            )
            do {
                _ = try await keeper.commit(AuditedChange(writes: [.addDataKey(record)], events: [event]))
                return record
            } catch DataKeyError.keyExists {
                continue  // a concurrent writer made the subject's key first: use theirs
            }
        }
        throw DataKeyError.keyExists
    }

    /// After `DataKeyError.keyNotActive`: the next `activeKey(of:)` reads the key afresh.
    public func forgetActiveKey(of subject: DataSubject) {
        keys.forgetActiveKey(of: subject)
    }

    /// The binding of a transaction's column.
    public static func binding(_ column: String, of id: TransactionID, tenant: TenantID) -> FieldBinding {
        FieldBinding(tenant: tenant, table: table, column: column, rowID: id.rawValue)
    }

    /// `transaction` (plaintext fields) sealed under `key`, with blind-index values.
    public func seal(_ transaction: Transaction, key: DataKeyRecord) throws(FieldCipherError) -> StoredTransaction {
        guard let wrapped = key.wrapped, let account = transaction.counterpartyAccount.value else {
            preconditionFailure("sealing needs a live key and plaintext fields")
        }
        let tenant = transaction.tenantID
        let sealedAccount = try cipher.seal(
            Array(account.value.utf8), key: wrapped,
            binding: Self.binding(BlindIndex.counterpartyAccount.column, of: transaction.id, tenant: tenant)
        )
        var sealedName: SealedField?
        var nameIndex: UInt32?
        if let name = transaction.counterpartyName?.value {
            sealedName = try cipher.seal(
                Array(name.value.utf8), key: wrapped,
                binding: Self.binding(BlindIndex.counterpartyName.column, of: transaction.id, tenant: tenant)
            )
            nameIndex = indexValue(name.value, in: .counterpartyName, tenant: tenant)
        }
        return StoredTransaction(
            id: transaction.id, tenantID: tenant, accountID: transaction.accountID,
            counterpartyAccount: .sealed(sealedAccount),
            counterpartyAccountIndex: indexValue(account.value, in: .counterpartyAccount, tenant: tenant),
            counterpartyName: sealedName.map { .sealed($0) }, counterpartyNameIndex: nameIndex,
            money: transaction.money, direction: transaction.direction, kind: transaction.kind,
            occurredAt: transaction.occurredAt, reference: transaction.reference, recordedAt: transaction.recordedAt, dataKey: key,
            status: transaction.status, decision: transaction.decision, submittedBy: transaction.submittedBy
        )
    }

    /// The blind-index value of `value` (normalised first).
    public func indexValue(_ value: String, in index: BlindIndex, tenant: TenantID) -> UInt32 {
        indexer.value(of: [BlindIndex.normalize(value)], in: index, tenant: tenant)
    }

    /// Opens a stored row. Fields whose key was destroyed read `.erased`; a field that does not
    /// open (tampered, moved, wrong key) throws: that is corruption, not erasure.
    public func open(_ stored: StoredTransaction) throws(FieldCipherError) -> Transaction {
        let account: Protected<AccountIdentifier> = try openField(stored.counterpartyAccount, column: BlindIndex.counterpartyAccount.column, of: stored) {
            AccountIdentifier($0)
        }
        let name: Protected<CounterpartyName>? = try stored.counterpartyName.map { field throws(FieldCipherError) in
            try openField(field, column: BlindIndex.counterpartyName.column, of: stored) { CounterpartyName($0) }
        }
        return Transaction(
            id: stored.id, tenantID: stored.tenantID, accountID: stored.accountID, counterpartyAccount: account,
            counterpartyName: name, money: stored.money, direction: stored.direction, kind: stored.kind,
            occurredAt: stored.occurredAt, reference: stored.reference, recordedAt: stored.recordedAt,
            status: stored.status, decision: stored.decision, submittedBy: stored.submittedBy, review: stored.review
        )
    }

    /// The plaintext of one stored field (nil: erased).
    public func plaintext(_ field: StoredField, column: String, of stored: StoredTransaction) throws(FieldCipherError) -> String? {
        switch field {
        case .plaintext(let text):
            return text
        case .sealed(let sealed):
            guard let key = stored.dataKey, key.reference == sealed.keyReference else { throw .keyMismatch }
            guard let wrapped = key.wrapped else { return nil }
            let bytes = try cipher.open(sealed, key: wrapped, binding: Self.binding(column, of: stored.id, tenant: stored.tenantID))
            guard let text = String(validating: bytes, as: UTF8.self) else { throw .authenticationFailed }
            return text
        }
    }

    private func openField<Value>(
        _ field: StoredField, column: String, of stored: StoredTransaction, _ parse: (String) -> Value?
    ) throws(FieldCipherError) -> Protected<Value> {
        guard let text = try plaintext(field, column: column, of: stored) else { return .erased }
        guard let value = parse(text) else { throw .authenticationFailed }
        return .value(value)
    }

    /// SHA-256 of a sealed field's bytes, hex: what audit payloads carry instead of the value, so
    /// that a later shred leaves the log verifiable and free of personal data.
    public static func digest(_ sealed: SealedField) -> String {
        SHA256.hash(sealed.bytes).hexString
    }
}
