import Foundation

/// What a key-encryption-key rotation changes (docs/encryption.md §8.1).
public struct KEKRotation: Hashable, Sendable {
    public let tenant: TenantID
    public let fromVersion: UInt32
    public let toVersion: UInt32
    /// Every live data key, wrapped again under `toVersion` (same key bytes: rows untouched).
    public let rewrapped: [WrappedDataKey]
    /// One new active data key per subject that had one; its previous active key is superseded.
    public let added: [DataKeyRecord]
}

/// One row moved to its subject's active key: its previous key (nil for a row stored in plaintext
/// before field encryption) and the row as it is to be stored.
public struct Reencryption: Hashable, Sendable {
    public let previousKey: DataKeyID?
    public let row: StoredTransaction

    public init(previousKey: DataKeyID?, row: StoredTransaction) {
        self.previousKey = previousKey
        self.row = row
    }
}

/// A tenant's keys as `custos keys status` lists them.
public struct KeyStatus: Hashable, Sendable {
    public struct KEK: Hashable, Sendable {
        public let version: UInt32
        public let status: String
        public let dataKeys: Int
        public init(version: UInt32, status: String, dataKeys: Int) {
            self.version = version
            self.status = status
            self.dataKeys = dataKeys
        }
    }

    public struct DataKeys: Hashable, Sendable {
        public let version: UInt32
        public let status: DataKeyRecord.Status
        public let keys: Int
        public let rows: Int
        public init(version: UInt32, status: DataKeyRecord.Status, keys: Int, rows: Int) {
            self.version = version
            self.status = status
            self.keys = keys
            self.rows = rows
        }
    }

    /// One data key and the rows it protects.
    public struct DataKey: Hashable, Sendable {
        public let reference: DataKeyReference
        public let status: DataKeyRecord.Status
        public let kekVersion: UInt32
        public let rows: Int
        public init(reference: DataKeyReference, status: DataKeyRecord.Status, kekVersion: UInt32, rows: Int) {
            self.reference = reference
            self.status = status
            self.kekVersion = kekVersion
            self.rows = rows
        }
    }

    public let tenant: TenantID
    public let keks: [KEK]
    /// Data keys grouped by version and status, with the rows they protect.
    public let dataKeys: [DataKeys]
    /// Every data key, when asked for (`status(tenant:eachKey:)`); else empty.
    public let eachKey: [DataKey]
    /// Rows still holding a plaintext counterparty (written before field encryption).
    public let plaintextRows: Int

    public init(tenant: TenantID, keks: [KEK], dataKeys: [DataKeys], eachKey: [DataKey] = [], plaintextRows: Int) {
        self.tenant = tenant
        self.keks = keks
        self.dataKeys = dataKeys
        self.eachKey = eachKey
        self.plaintextRows = plaintextRows
    }
}

/// Port: the key operations' storage, each applied in one database transaction together with the
/// audit event that records it (in the system log).
public protocol KeyAdministration: Sendable {
    /// The tenant's data keys that are not destroyed.
    func liveKeys(tenant: TenantID) async throws -> [DataKeyRecord]
    /// Applies a rotation: the new KEK version becomes active, the old one superseded (retired
    /// when no live key is wrapped by it any more), keys rewrapped, new data keys added. Refused
    /// (`KeyOperationError.concurrentChange`) when the tenant's active KEK is no longer `fromVersion`.
    func apply(_ rotation: KEKRotation, event: AuditEvent) async throws
    /// Up to `limit` rows of the tenant not on their subject's active key (or in plaintext), with
    /// their keys as they are now. Rows whose key was destroyed are not among them.
    func rowsToReencrypt(tenant: TenantID, limit: Int) async throws -> [StoredTransaction]
    /// Stores re-encrypted rows, each only if it still has `previousKey` and that key is not
    /// destroyed meanwhile; returns how many were stored. The event is built from that count.
    func apply(_ rows: [Reencryption], tenant: TenantID, event: @escaping @Sendable (Int) -> AuditEvent) async throws -> Int
    /// Retires the tenant's superseded data keys that no row uses any more, and superseded KEK
    /// versions no live key is wrapped by; returns the retired data keys. Audited when any.
    func retireUnused(tenant: TenantID, event: @escaping @Sendable ([DataKeyID]) -> AuditEvent) async throws -> [DataKeyID]
    /// Destroys every data key of the subject and removes the subject's rows from the blind
    /// indexes; returns the destroyed keys and the subject's rows that read as erased. Refused
    /// (`KeyOperationError.plaintextRows`) while a row of the subject is still in plaintext, and
    /// (`KeyOperationError.noLiveKeys`) when there is nothing left to destroy or unindex. Running
    /// it again after a write that raced the first run unindexes that row.
    func shred(_ subject: DataSubject, event: @escaping @Sendable (_ keys: [DataKeyID], _ rows: Int) -> AuditEvent) async throws -> (keys: [DataKeyID], rows: Int)
    /// The tenant's keys and what they protect; with `eachKey`, every data key on its own too.
    func status(tenant: TenantID, eachKey: Bool) async throws -> KeyStatus
}

public enum KeyOperationError: DomainError, Equatable, CustomStringConvertible {
    /// Another rotation of the tenant ran meanwhile: nothing was changed; run it again.
    case concurrentChange
    /// Rows of the subject still hold a plaintext counterparty: seal them first (`keys reencrypt`).
    case plaintextRows(Int)
    /// A stored field would not open while re-encrypting: the run stops there, nothing of the batch stored.
    case undecryptable(TransactionID)
    /// Nothing to shred: the subject has no live data key and no indexed row in this tenant.
    case noLiveKeys

    public var slug: String { "key-operation-refused" }

    public var description: String {
        switch self {
        case .concurrentChange: "the tenant's keys changed meanwhile (another rotation?): nothing changed, run it again"
        case .plaintextRows(let count): "\(count) rows of this subject are still in plaintext: run `custos keys reencrypt` first"
        case .undecryptable(let id): "transaction \(id) has a field that does not open: nothing of its batch was changed"
        case .noLiveKeys: "nothing to shred: this subject has no live data key and no indexed row in this tenant"
        }
    }
}

/// `custos keys rotate --tenant`: a new key-encryption-key version, every live data key rewrapped
/// under it (no row touched), and a new data-key version per subject, so that `keys reencrypt`
/// can move rows to it. Audited in the system log.
public struct RotateTenantKeys: Sendable {
    private let administration: any KeyAdministration
    private let store: any DataKeyStore
    private let cipher: any FieldCipher

    public init(administration: any KeyAdministration, store: any DataKeyStore, cipher: any FieldCipher) {
        self.administration = administration
        self.store = store
        self.cipher = cipher
    }

    public func callAsFunction(tenant: TenantID, context: AuditContext) async throws -> KEKRotation {
        let from = try await store.currentKEKVersion(tenant: tenant)
        let to = from + 1
        let live = try await administration.liveKeys(tenant: tenant)
        var rewrapped: [WrappedDataKey] = []
        var added: [DataKeyRecord] = []
        for key in live {
            guard let wrapped = key.wrapped else { continue }
            rewrapped.append(try cipher.rewrap(wrapped, toKEKVersion: to))
        }
        // The newest version of each subject with an active key gets a successor.
        let newest = Dictionary(live.map { ($0.subject, $0.reference.version) }, uniquingKeysWith: max)
        for key in live where key.status == .active {
            let reference = DataKeyReference(id: DataKeyID(UUID()), version: (newest[key.subject] ?? key.reference.version) + 1)
            let wrapped = try cipher.makeDataKey(reference, tenant: tenant, kekVersion: to)
            added.append(DataKeyRecord(reference: reference, subject: key.subject, status: .active, wrapped: wrapped))
        }
        let rotation = KEKRotation(tenant: tenant, fromVersion: from, toVersion: to, rewrapped: rewrapped, added: added)
        let event = AuditEvent(
            scope: .system, eventType: "keys.kek_rotated", context: context, outcome: .success,
            resourceType: "tenant", resourceID: tenant.description,
            details: [
                "from_kek_version": CanonicalJSON(exactly: Int(from)) ?? .null, "to_kek_version": CanonicalJSON(exactly: Int(to)) ?? .null,
                "data_keys_rewrapped": CanonicalJSON(exactly: rewrapped.count) ?? .null,
                "data_keys_added": CanonicalJSON(exactly: added.count) ?? .null,
            ]
        )
        try await administration.apply(rotation, event: event)
        return rotation
    }
}

/// `custos keys reencrypt --tenant [--batch N]`: moves rows to their subject's active data key (and
/// seals rows stored in plaintext before field encryption), one batch per database transaction,
/// then retires the keys no row uses any more. Stateless, so resumable: each batch reads the rows
/// still to do. Rows written meanwhile are sealed with the active key already and never touched;
/// a row whose key is destroyed meanwhile is left erased.
public struct ReencryptTenant: Sendable {
    public static let batchMax = 10_000
    private let administration: any KeyAdministration
    private let fields: FieldProtection

    public init(administration: any KeyAdministration, fields: FieldProtection) {
        self.administration = administration
        self.fields = fields
    }

    /// Progress after each batch: rows re-encrypted so far.
    public typealias Progress = @Sendable (_ done: Int) -> Void

    public func callAsFunction(
        tenant: TenantID, batch: Int, context: AuditContext, progress: Progress = { _ in }
    ) async throws -> (rows: Int, retired: [DataKeyID]) {
        precondition((1...Self.batchMax).contains(batch), "1 to \(Self.batchMax) rows a batch")
        var done = 0
        var stalled = 0
        while true {
            let rows = try await administration.rowsToReencrypt(tenant: tenant, limit: batch)
            if rows.isEmpty { break }
            var moved: [Reencryption] = []
            for row in rows {
                let plain: Transaction
                do {
                    plain = try fields.open(row)
                } catch {
                    throw KeyOperationError.undecryptable(row.id)
                }
                guard case .value = plain.counterpartyAccount else { continue }  // erased meanwhile
                let key = try await fields.activeKey(of: row.subject, context: context)
                moved.append(Reencryption(previousKey: row.dataKey?.reference.id, row: try fields.seal(plain, key: key)))
            }
            let stored = try await administration.apply(moved, tenant: tenant) { count in
                AuditEvent(
                    scope: .system, eventType: "keys.rows_reencrypted", context: context, outcome: .success,
                    resourceType: "tenant", resourceID: tenant.description,
                    details: ["rows": CanonicalJSON(exactly: count) ?? .null, "table": .string(FieldProtection.table)]
                )
            }
            done += stored
            progress(done)
            // Rows that changed under us are read again; a batch that stores nothing twice in a
            // row means something else keeps changing them: stop rather than spin.
            stalled = stored == 0 ? stalled + 1 : 0
            if stalled >= 2 { break }
        }
        let retired = try await administration.retireUnused(tenant: tenant) { keys in
            AuditEvent(
                scope: .system, eventType: "keys.data_keys_retired", context: context, outcome: .success,
                resourceType: "tenant", resourceID: tenant.description,
                details: ["data_key_ids": .array(keys.map { .string($0.description) })]
            )
        }
        return (done, retired)
    }
}

/// `custos keys shred --tenant --subject`: crypto-shredding. Every data key of the subject is
/// destroyed (its wrapped bytes removed), so its fields read as erased, and its rows leave the
/// blind indexes. The audit log keeps only ids and ciphertext digests, so it still verifies.
public struct ShredSubject: Sendable {
    private let administration: any KeyAdministration

    public init(administration: any KeyAdministration) {
        self.administration = administration
    }

    public func callAsFunction(_ subject: DataSubject, context: AuditContext) async throws -> (keys: [DataKeyID], rows: Int) {
        try await administration.shred(subject) { keys, rows in
            // The subject id is the tenant's account identifier: personal data, so not logged;
            // the destroyed keys' ids identify what was shredded.
            AuditEvent(
                scope: .system, eventType: "keys.subject_shredded", context: context, outcome: .success,
                resourceType: "tenant", resourceID: subject.tenant.description,
                details: [
                    "data_key_ids": .array(keys.map { .string($0.description) }),
                    "rows": CanonicalJSON(exactly: rows) ?? .null,
                ]
            )
        }
    }
}
