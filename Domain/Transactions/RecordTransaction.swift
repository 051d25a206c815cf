/// Validates a draft and records it as a new transaction of the tenant, with its
/// `transaction.recorded` audit entry in the same atomic step. Nothing is written unless every
/// field is valid.
public struct RecordTransaction: Sendable {
    private let keeper: any RecordKeeper
    private let clock: any Clock
    private let ids: any IDGenerator

    public init(keeper: any RecordKeeper, clock: any Clock, ids: any IDGenerator) {
        self.keeper = keeper
        self.clock = clock
        self.ids = ids
    }

    /// Throws `ValidationFailed` listing every invalid field, or whatever the keeper throws.
    /// A rejected draft writes no transaction but is audited as a failure that names the rejected
    /// fields and why, never their content.
    public func callAsFunction(
        _ draft: TransactionDraft, tenant: TenantID, context: AuditContext
    ) async throws -> Transaction {
        let transaction: Transaction
        do {
            transaction = try TransactionValidator.validate(draft, id: ids.newTransactionID(), tenant: tenant, now: clock.now())
        } catch {
            try await recordRejection(tenant: tenant, context: context, fieldErrors: error.fieldErrors, reason: "validation-failed")
            throw error
        }
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "transaction.recorded", context: context, outcome: .success,
            resourceType: "transaction", resourceID: transaction.id.description,
            details: TransactionAudit.details(of: transaction)
        )
        _ = try await keeper.commit(AuditedChange(writes: [.insertTransaction(transaction)], events: [event]))
        return transaction
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

    public init(repository: any TransactionRepository, keeper: any RecordKeeper) {
        self.repository = repository
        self.keeper = keeper
    }

    /// Throws `TransactionError.notFound` when the tenant has no transaction with this id.
    public func callAsFunction(id: TransactionID, tenant: TenantID, context: AuditContext) async throws -> Transaction {
        let transaction = try await repository.transaction(id: id, tenant: tenant)
        let event = AuditEvent(
            scope: .tenant(tenant), eventType: "transaction.read", context: context,
            outcome: transaction == nil ? .failure : .success, resourceType: "transaction", resourceID: id.description
        )
        _ = try await keeper.commit(AuditedChange(events: [event]))
        guard let transaction else { throw TransactionError.notFound(id) }
        precondition(transaction.id == id && transaction.tenantID == tenant, "repository returned a foreign row")
        return transaction
    }
}

/// What the audit log says about a transaction: amounts and kinds, never account numbers or the
/// free-text reference (they may identify people; they are encrypted at rest later).
enum TransactionAudit {
    static func details(of transaction: Transaction) -> [String: CanonicalJSON] {
        [
            "amount_minor": CanonicalJSON(exactly: transaction.money.amountMinor) ?? .null,
            "currency": .string(transaction.money.currency.code),
            "direction": .string(transaction.direction.rawValue),
            "kind": .string(transaction.kind.rawValue),
        ]
    }
}
