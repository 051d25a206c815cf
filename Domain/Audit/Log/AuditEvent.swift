/// Which log an event belongs to: its tenant's, or the system log (§2).
public enum AuditScope: Hashable, Sendable {
    case tenant(TenantID)
    case system
}

/// Names the logs of one deployment: `<prefix>/<tenant-uuid>` and `<prefix>/system`.
public struct AuditOrigins: Hashable, Sendable {
    public static let defaultPrefix = "custos.localhost/audit"
    public let prefix: String

    public init(prefix: String = AuditOrigins.defaultPrefix) {
        precondition(NoteVerifierKey.isValidName(prefix + "/system"), "an origin prefix has no spaces or '+'")
        self.prefix = prefix
    }

    public func origin(of scope: AuditScope) -> String {
        switch scope {
        case .tenant(let tenant): "\(prefix)/\(tenant)"
        case .system: "\(prefix)/system"
        }
    }
}

/// Who did something and from where, as the driving adapter knows it (§3.3). Until
/// authentication lands the principal is `unauthenticated`.
public struct AuditContext: Hashable, Sendable {
    public let actor: String
    public let clientID: String?
    public let sourceAddress: String?
    public let requestID: String?

    public init(actor: String, clientID: String? = nil, sourceAddress: String? = nil, requestID: String? = nil) {
        self.actor = actor
        self.clientID = clientID
        self.sourceAddress = sourceAddress
        self.requestID = requestID
    }

    public static let unauthenticated = AuditContext(actor: "unauthenticated")
}

/// An event to append, before it has a place in its log. The payload follows §3.3: outcome and
/// resource always, where-from and correlation when known, event details; never plaintext
/// personal, card or account data.
public struct AuditEvent: Hashable, Sendable {
    public let scope: AuditScope
    public let eventType: String
    public let actor: String
    public let payload: CanonicalJSON
    /// `payload` as RFC 8785 bytes, encoded once here, in the caller's task: what the entry
    /// stores, and what a record keeper checks and frames without encoding it again.
    public let canonicalPayload: [UInt8]

    public enum Outcome: String, Sendable { case success, failure }

    public init(
        scope: AuditScope, eventType: String, context: AuditContext, outcome: Outcome,
        resourceType: String, resourceID: String, details: [String: CanonicalJSON] = [:]
    ) {
        precondition(AuditLeaf.isValidEventType(eventType), "invalid event type \(eventType)")
        var members: [String: CanonicalJSON] = [
            "outcome": .string(outcome.rawValue),
            "resource": .object(.init(["type": .string(resourceType), "id": .string(resourceID)])),
        ]
        if let clientID = context.clientID { members["client_id"] = .string(clientID) }
        if let address = context.sourceAddress { members["source_address"] = .string(address) }
        if let requestID = context.requestID { members["request_id"] = .string(requestID) }
        if !details.isEmpty { members["details"] = .object(.init(details)) }
        self.scope = scope
        self.eventType = eventType
        self.actor = context.actor
        self.payload = .object(.init(members))
        self.canonicalPayload = payload.canonicalBytes
    }
}
