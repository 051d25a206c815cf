/// Validates a draft, decides it with the active policy bundle, and records it as a new
/// transaction of the tenant (status from the decision: posted, held or declined), with its
/// decision and its `transaction.recorded` audit entry in the same atomic step. Nothing is
/// written unless every field is valid and a bundle is active.
public struct RecordTransaction: Sendable {
    private let keeper: any RecordKeeper
    private let clock: any Clock
    private let ids: any IDGenerator
    private let fields: FieldProtection
    private let decide: DecideTransaction

    public init(
        keeper: any RecordKeeper, clock: any Clock, ids: any IDGenerator, fields: FieldProtection,
        policies: any ActivePolicySource, history: any TransactionHistory
    ) {
        self.keeper = keeper
        self.clock = clock
        self.ids = ids
        self.fields = fields
        self.decide = DecideTransaction(policies: policies, history: history, fields: fields, ids: ids)
    }

    /// Throws `ValidationFailed` listing every invalid field, `PolicyUnavailable` when no bundle is
    /// active, or whatever the keeper throws. A refused request writes no transaction but is
    /// audited as a failure that names the rejected fields and why, never their content.
    /// `submittedBy`: the client asking (the maker, whom maker-checker keeps from deciding its review).
    /// With `idempotency`, the outcome is remembered in the same atomic step (`RunIdempotently`);
    /// `IdempotencyError.keyTaken` when the client's key was taken meanwhile (nothing written).
    public func callAsFunction(
        _ draft: TransactionDraft, tenant: TenantID, context: AuditContext, submittedBy: ClientID? = nil,
        idempotency: IdempotentRequest? = nil
    ) async throws -> Transaction {
        precondition(idempotency.map { $0.tenant == tenant } ?? true, "a key is the tenant's client's")
        let validated: Transaction
        do {
            validated = try TransactionValidator.validate(
                draft, id: ids.newTransactionID(), tenant: tenant, now: clock.now(), submittedBy: submittedBy
            )
        } catch {
            try await recordRejection(tenant: tenant, context: context, fieldErrors: error.fieldErrors, reason: "validation-failed")
            throw error
        }
        let bundle: CompiledBundle
        do {
            bundle = try await decide.bundle()
        } catch let error as PolicyUnavailable {
            try await recordRejection(tenant: tenant, context: context, reason: error.slug)
            throw error
        }
        let transaction = validated.deciding(try await decide(validated, with: bundle))
        let subject = DataSubject(tenant: tenant, id: transaction.accountID)
        // The key may be remembered from an earlier request; if a rotation or shred has changed it
        // since, the database refuses the row (nothing stored) and it is sealed again, once, under
        // the key read afresh.
        let remembered = idempotency.remembering(.transaction(transaction.id), at: transaction.recordedAt)
        for attempt in 1...2 {
            let key = try await fields.activeKey(of: subject, context: context)
            let stored = try fields.seal(transaction, key: key)
            let event = AuditEvent(
                scope: .tenant(tenant), eventType: "transaction.recorded", context: context, outcome: .success,
                resourceType: "transaction", resourceID: transaction.id.description,
                details: TransactionAudit.details(of: stored)
            )
            do {
                _ = try await keeper.commit(AuditedChange(writes: remembered + [.insertTransaction(stored)], events: [event]))
                return transaction
            } catch DataKeyError.keyNotActive where attempt == 1 {
                fields.forgetActiveKey(of: subject)
            }
        }
        preconditionFailure("the second attempt returns or throws")
    }

    /// Audits a request to record a transaction that was refused before it became one (invalid
    /// fields, or a body that could not be read): outcome failure, the reason, the names and codes
    /// of rejected fields; none of the rejected values.
    public func recordRejection(
        tenant: TenantID, context: AuditContext, fieldErrors: [FieldError] = [], reason: String
    ) async throws {
        var details: [String: CanonicalJSON] = ["reason": .string(reason)]
        // Unknown member names are the caller's text (they could hold anything, at any length):
        // only their number is kept. Known fields are a fixed, short set.
        let known = fieldErrors.filter { $0.code != "unknown_field" }
        let unknownCount = fieldErrors.count - known.count
        if !known.isEmpty {
            details["rejected_fields"] = .array(known.map {
                .object(.init(["field": .string($0.field), "code": .string($0.code)]))
            })
        }
        if unknownCount > 0 { details["unknown_field_count"] = CanonicalJSON(exactly: unknownCount) ?? .null }
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "transaction.recorded", context: context, outcome: .failure,
            resourceType: "transaction", resourceID: "unassigned", details: details
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
    }
}

/// Reads one of the tenant's transactions. Every read is audited before the data is returned,
/// and a failed read (unknown or foreign id) is audited too.
public struct GetTransaction: Sendable {
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper
    private let fields: FieldProtection

    public init(repository: any TransactionRepository, keeper: any RecordKeeper, fields: FieldProtection) {
        self.repository = repository
        self.keeper = keeper
        self.fields = fields
    }

    /// Throws `TransactionError.notFound` when the tenant has no transaction with this id, and
    /// `FieldCipherError` when a protected field does not open (an erased one reads `.erased`).
    public func callAsFunction(id: TransactionID, tenant: TenantID, context: AuditContext) async throws -> Transaction {
        let stored = try await repository.transaction(id: id, tenant: tenant)
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "transaction.read", context: context,
            outcome: stored == nil ? .failure : .success, resourceType: "transaction", resourceID: id.description
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        guard let stored else { throw TransactionError.notFound(id) }
        precondition(stored.id == id && stored.tenantID == tenant, "repository returned a foreign row")
        return try fields.open(stored)
    }
}

/// Finds a tenant's transactions by counterparty account, through its blind index: candidates
/// are read by index value, opened, and kept only when the value itself matches. The search is
/// audited (how many matched; never the searched value). Erased rows never match: a shred
/// removes their index values. Paged, newest first: a page may hold fewer than `limit` matches
/// and still have a next one (candidates that were not matches were skipped).
public struct FindTransactions: Sendable {
    public static let limitMax = 100
    public static let list = "search"
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper
    private let fields: FieldProtection

    public init(repository: any TransactionRepository, keeper: any RecordKeeper, fields: FieldProtection) {
        self.repository = repository
        self.keeper = keeper
        self.fields = fields
    }

    public func callAsFunction(
        counterpartyAccount: String, tenant: TenantID, after cursor: PageCursor? = nil, limit: Int, context: AuditContext
    ) async throws -> Page<Transaction> {
        precondition((1...Self.limitMax).contains(limit), "1 to \(Self.limitMax) results")
        precondition(cursor.map { $0.list == Self.list } ?? true, "a cursor of this list")
        let wanted = BlindIndex.normalize(counterpartyAccount)
        let index = fields.indexValue(counterpartyAccount, in: .counterpartyAccount, tenant: tenant)
        // Candidates beyond `limit`: false positives of the truncated index are dropped below.
        let candidatesMax = limit * 4
        let candidates = try await repository.transactions(
            counterpartyAccountIndex: index, tenant: tenant, after: cursor?.transactionPosition, limit: candidatesMax
        )
        var found: [Transaction] = []
        var examined = 0
        func audit(_ outcome: AuditEvent.Outcome) async throws {
            let event = AuditEvent(
                scope: .tenant(tenant), eventType: "transaction.searched", context: context, outcome: outcome,
                resourceType: "transaction", resourceID: "search",
                details: ["by": .string("counterparty_account"), "matches": CanonicalJSON(exactly: found.count) ?? .null,
                          "candidates": CanonicalJSON(exactly: examined) ?? .null]
            )
            _ = try await keeper.commit(AuditedChange(events: [event]))
        }
        do {
            for stored in candidates where found.count < limit {
                precondition(stored.tenantID == tenant, "repository returned a foreign row")
                examined += 1
                let transaction = try fields.open(stored)
                if let account = transaction.counterpartyAccount.value, BlindIndex.normalize(account.value) == wanted {
                    found.append(transaction)
                }
            }
        } catch {
            // A field that does not open fails the search closed, and the attempt is audited.
            found = []
            try await audit(.failure)
            throw error
        }
        try await audit(.success)
        let more = examined < candidates.count || candidates.count == candidatesMax
        let next = more && examined > 0
            ? PageCursor(list: Self.list, position: .transaction(TransactionPosition(candidates[examined - 1]))) : nil
        return Page(items: found, next: next)
    }
}

/// A page of the tenant's transactions, newest first. Each page read is audited (how many rows;
/// the rows hold personal data).
public struct ListTransactions: Sendable {
    public static let limitMax = 100
    public static let list = "transactions"
    private let repository: any TransactionRepository
    private let keeper: any RecordKeeper
    private let fields: FieldProtection

    public init(repository: any TransactionRepository, keeper: any RecordKeeper, fields: FieldProtection) {
        self.repository = repository
        self.keeper = keeper
        self.fields = fields
    }

    public func callAsFunction(tenant: TenantID, after cursor: PageCursor?, limit: Int, context: AuditContext) async throws -> Page<Transaction> {
        precondition((1...Self.limitMax).contains(limit), "1 to \(Self.limitMax) results")
        precondition(cursor.map { $0.list == Self.list } ?? true, "a cursor of this list")
        let rows = try await repository.transactions(tenant: tenant, after: cursor?.transactionPosition, limit: limit + 1)
        return try await TransactionPages.open(
            rows, limit: limit, list: Self.list, tenant: tenant, eventType: "transaction.listed", keeper: keeper, fields: fields, context: context
        )
    }
}

/// Opening and auditing a page of rows, for the lists of transactions and of reviews.
enum TransactionPages {
    /// `rows` holds up to `limit + 1` rows: the extra one only says that there is a next page.
    static func open(
        _ rows: [StoredTransaction], limit: Int, list: String, tenant: TenantID, eventType: String,
        keeper: any RecordKeeper, fields: FieldProtection, context: AuditContext
    ) async throws -> Page<Transaction> {
        let page = rows.prefix(limit)
        var items: [Transaction] = []
        do {
            for stored in page {
                precondition(stored.tenantID == tenant, "repository returned a foreign row")
                items.append(try fields.open(stored))
            }
        } catch {
            // A field that does not open fails the page closed, and the attempt is audited.
            try await audit(eventType, outcome: .failure, count: 0, tenant: tenant, keeper: keeper, context: context)
            throw error
        }
        try await audit(eventType, outcome: .success, count: items.count, tenant: tenant, keeper: keeper, context: context)
        let next = rows.count > limit ? page.last.map { PageCursor(list: list, position: .transaction(TransactionPosition($0))) } : nil
        return Page(items: items, next: next)
    }

    private static func audit(
        _ eventType: String, outcome: AuditEvent.Outcome, count: Int, tenant: TenantID, keeper: any RecordKeeper, context: AuditContext
    ) async throws {
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: eventType, context: context, outcome: outcome,
            resourceType: "transaction", resourceID: "list", details: ["count": CanonicalJSON(exactly: count) ?? .null]
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
    }
}

/// What the audit log says about a transaction: amounts and kinds, its status and a summary of its
/// decision; never account numbers, names or the free-text reference (they may identify people).
enum TransactionAudit {
    /// Amounts and kinds; for the encrypted fields, SHA-256 digests of their ciphertexts and the
    /// data key's id (docs/encryption.md §7).
    static func details(of transaction: StoredTransaction) -> [String: CanonicalJSON] {
        var details: [String: CanonicalJSON] = [
            "amount_minor": CanonicalJSON(exactly: transaction.money.amountMinor) ?? .null,
            "currency": .string(transaction.money.currency.code),
            "direction": .string(transaction.direction.rawValue),
            "kind": .string(transaction.kind.rawValue),
        ]
        if case .sealed(let sealed) = transaction.counterpartyAccount {
            details["counterparty_account_sha256"] = .string(FieldProtection.digest(sealed))
        }
        if case .sealed(let sealed)? = transaction.counterpartyName {
            details["counterparty_name_sha256"] = .string(FieldProtection.digest(sealed))
        }
        if let key = transaction.dataKey { details["data_key_id"] = .string(key.reference.id.description) }
        details["status"] = .string(transaction.status.rawValue)
        if let decision = transaction.decision { details["decision"] = .object(.init(decision.auditDetails)) }
        return details
    }
}
