/// A policy bundle as the database keeps it: its canonical content (docs/policies.md §8) under
/// its hash. Bundles are never deleted, so a decision can always be replayed against its bundle.
public struct StoredPolicyBundle: Sendable, Hashable {
    public let hash: String
    /// The RFC 8785 bytes of `PolicyBundle.canonicalJSON`; `hash` is their SHA-256, hex.
    public let content: [UInt8]

    /// The largest bundle stored: 256 policies with lists of 100,000 names fit comfortably under
    /// this only when few policies carry lists (docs/policies.md §1).
    public static let contentBytesMax = 32 * 1_048_576

    public init(_ bundle: PolicyBundle) {
        let content = bundle.canonicalJSON.canonicalBytes
        self.init(unchecked: SHA256.hash(content).hexString, content: content)
    }

    init(unchecked hash: String, content: [UInt8]) {
        self.hash = hash
        self.content = content
    }

    /// A row read back: its content must hash to its hash, and decode into a valid bundle.
    public static func restored(hash: String, content: [UInt8]) throws(PolicyError) -> (StoredPolicyBundle, PolicyBundle) {
        guard content.count <= contentBytesMax, SHA256.hash(content).hexString == hash else {
            throw PolicyError(policy: nil, path: [], "stored bundle \(hash.prefix(12)): its content does not hash to its name")
        }
        let json: CanonicalJSON
        do {
            json = try CanonicalJSON.parse(content, bytesMax: contentBytesMax)
        } catch {
            throw PolicyError(policy: nil, path: [], "stored bundle \(hash.prefix(12)): \(error)")
        }
        return (StoredPolicyBundle(unchecked: hash, content: content), try PolicyBundle(canonicalJSON: json))
    }
}

/// One activation: which bundle became the active one, when, and by whom.
public struct PolicyActivation: Sendable, Hashable {
    public let hash: String
    public let activatedAt: UTCTimestamp
    public let actor: String
    public init(hash: String, activatedAt: UTCTimestamp, actor: String) {
        self.hash = hash
        self.activatedAt = activatedAt
        self.actor = actor
    }
}

/// Where policy bundles and their activations are kept (one active bundle per deployment).
/// Writes go through a `RecordKeeper` (`BusinessWrite.activatePolicyBundle`), so that an
/// activation is in the audit log exactly when it is in the table.
public protocol PolicyBundleStore: Sendable {
    /// The newest activation, or nil when no bundle was ever activated.
    func activeActivation() async throws -> PolicyActivation?
    /// The stored bundle with this hash, checked (`StoredPolicyBundle.restored`).
    func bundle(hash: String) async throws -> (StoredPolicyBundle, PolicyBundle)?
}

/// The compiled bundle that decides new transactions now.
public protocol ActivePolicySource: Sendable {
    /// Nil when no bundle is active: transactions are then refused (`PolicyUnavailable`).
    func current() async throws -> CompiledBundle?
}

/// No bundle is active, so no transaction can be decided: nothing is recorded until one is.
public struct PolicyUnavailable: DomainError, CustomStringConvertible {
    public init() {}
    public var slug: String { "no-active-policy" }
    public var description: String { "no policy bundle is active: run `custos policy activate`" }
}
