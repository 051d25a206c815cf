/// A data key's row (docs/encryption.md §3.2): one version of one subject's key, wrapped under
/// its tenant's key-encryption key, until it is destroyed.
public struct DataKeyRecord: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, CaseIterable {
        /// The subject's newest version: new values are sealed with it.
        case active
        /// Replaced by a newer version in a rotation: still opens the rows it sealed, seals nothing new.
        case superseded
        /// Superseded and no longer protecting any row (`keys reencrypt` moved them).
        case retired
        /// Shredded: the wrapped key is gone, and what it sealed reads as erased.
        case destroyed
    }

    public let reference: DataKeyReference
    public let subject: DataSubject
    public let status: Status
    /// `nil` once destroyed.
    public let wrapped: WrappedDataKey?

    public init(reference: DataKeyReference, subject: DataSubject, status: Status, wrapped: WrappedDataKey?) {
        precondition((status == .destroyed) == (wrapped == nil), "only a destroyed key has no wrapped bytes")
        precondition(wrapped.map { $0.reference == reference && $0.tenant == subject.tenant } ?? true, "the wrapped key is this key")
        self.reference = reference
        self.subject = subject
        self.status = status
        self.wrapped = wrapped
    }
}

/// Port: where data keys and key-encryption-key versions are kept. Every method is scoped by
/// tenant.
public protocol DataKeyStore: Sendable {
    /// The tenant's current key-encryption-key version; version 1 is registered on first use.
    func currentKEKVersion(tenant: TenantID) async throws -> UInt32
    /// The subject's active data key, or nil when it has none (never had one, or was shredded).
    func activeKey(of subject: DataSubject) async throws -> DataKeyRecord?
    /// The subject's newest data-key version, whatever its status, or nil when it has none. (Keys
    /// are added through a `RecordKeeper`, `BusinessWrite.addDataKey`, with their audit entry.)
    func newestVersion(of subject: DataSubject) async throws -> UInt32?
    /// The tenant's data key with this id, whatever its status, or nil.
    func key(_ id: DataKeyID, tenant: TenantID) async throws -> DataKeyRecord?
    /// Drops whatever the store remembers of the subject's active key: the database refused it
    /// (`DataKeyError.keyNotActive`). Stores that remember nothing do nothing.
    func forgetActiveKey(of subject: DataSubject)
}

extension DataKeyStore {
    public func forgetActiveKey(of subject: DataSubject) {}
}

public enum DataKeyError: DomainError, Equatable, CustomStringConvertible {
    /// Another writer added the subject's active key first (the write is refused, nothing stored).
    case keyExists
    /// A row was sealed under a data key that is no longer active (rotated or shredded meanwhile):
    /// the database refused it, nothing stored. Look the subject's key up again.
    case keyNotActive
    /// No such data key in this tenant.
    case unknownKey(DataKeyID)

    public var slug: String {
        switch self {
        case .keyExists, .keyNotActive: "data-key-conflict"
        case .unknownKey: "field-undecryptable"
        }
    }

    public var description: String {
        switch self {
        case .keyExists: "the subject already has an active data key"
        case .keyNotActive: "the data key is no longer active"
        case .unknownKey(let id): "no data key \(id) in this tenant"
        }
    }
}
