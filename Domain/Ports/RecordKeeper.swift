/// A change to business records, as data, so that a record keeper can apply many of them in
/// one database transaction (group commit).
public enum BusinessWrite: Hashable, Sendable {
    case insertTransaction(StoredTransaction)
    /// A subject's new active data key. Refused with `DataKeyError.keyExists` when the subject
    /// has an active key already.
    case addDataKey(DataKeyRecord)
    /// Stores the bundle (when its hash is new) and records its activation.
    case activatePolicyBundle(StoredPolicyBundle, PolicyActivation)
    /// A new tenant. Refused with `AccessError.tenantNameTaken` when the name is taken.
    case createTenant(Tenant)
    /// A new API client of an existing tenant (`AccessError.unknownTenant` otherwise).
    case registerClient(APIClient)
    /// Marks the client revoked at that time. Refused with `AccessError.alreadyRevoked` when it
    /// is revoked already (so that two concurrent revocations record one), and
    /// `AccessError.unknownClient` when there is no such client.
    case revokeClient(ClientID, at: UTCTimestamp)
    /// Remembers what a keyed request created. Refused with `IdempotencyError.keyTaken` when the
    /// client has the key already (a concurrent duplicate committed first). Put it first in its
    /// change: a duplicate then waits for the first one's commit before anything else.
    case rememberOutcome(IdempotentOutcome)
    /// Records a reviewer's decision. Refused with `ReviewError.alreadyDecided` when the
    /// transaction has a review (so two concurrent decisions record one), `.notHeld` when it is
    /// not held, `.makerCannotDecide` when the checker submitted it, and
    /// `TransactionError.notFound` when the tenant has no such transaction.
    case decideReview(Review)
}

/// Business writes and the audit events that record them: applied together or not at all.
public struct AuditedChange: Hashable, Sendable {
    public var writes: [BusinessWrite]
    public var events: [AuditEvent]

    public init(writes: [BusinessWrite] = [], events: [AuditEvent]) {
        precondition(!events.isEmpty, "every change is audited")
        self.writes = writes
        self.events = events
    }
}

/// Where an appended event landed.
public struct AuditReceipt: Hashable, Sendable {
    public let origin: String
    public let index: UInt64
    public init(origin: String, index: UInt64) {
        self.origin = origin
        self.index = index
    }

    /// Where `leaf` landed.
    public init(_ leaf: AuditLeaf) {
        self.init(origin: leaf.origin, index: leaf.index)
    }
}

/// Keeps business records and their audit entries together: `commit` applies the writes and
/// appends the events atomically. A rolled-back change leaves no entry; an acknowledged change
/// always has its entries. Appends to one log are sequenced so that each log stays gap-free.
/// Throws `TransactionError.duplicateID` when an inserted id is taken (then nothing is written).
public protocol RecordKeeper: Sendable {
    func commit(_ change: AuditedChange) async throws -> [AuditReceipt]
}
