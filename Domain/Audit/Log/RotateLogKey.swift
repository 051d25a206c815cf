/// Rotates a log's signing key (docs/audit-log.md §5.3): appends a `log.key_rotated` entry
/// announcing the next key version and its verifier key to the log, and the same event to the
/// system log, in one transaction. The next checkpoint of the log, which the old key signs
/// too, covers the announcement; from then on the new key signs.
public struct RotateLogKey: Sendable {
    public static let eventType = "log.key_rotated"
    /// The longest the old key may go on signing after a rotation: 90 days.
    public static let overlapMsMax: UInt64 = 90 * 24 * 3_600_000

    /// What a `log.key_rotated` entry announces, in its payload's `details`.
    public struct Announcement: Hashable, Sendable {
        /// The log whose key rotates (the payload's `resource.id`); the system log records
        /// every tenant log's rotation too.
        public let origin: String
        public let version: UInt32
        public let verifierKey: String
        public let overlapUntilMs: UInt64

        public init(origin: String, version: UInt32, verifierKey: String, overlapUntilMs: UInt64) {
            self.origin = origin
            self.version = version
            self.verifierKey = verifierKey
            self.overlapUntilMs = overlapUntilMs
        }

        /// The announcement in a stored payload, or nil when the payload holds none.
        public init?(payload: [UInt8]) {
            guard case .object(let object)? = try? CanonicalJSON.parse(payload),
                  case .object(let resource)? = object["resource"], case .string(let origin)? = resource["id"],
                  case .object(let details)? = object["details"],
                  case .integer(let version)? = details["new_key_version"], version.value >= 2, version.value <= Int64(UInt32.max),
                  case .string(let key)? = details["new_verifier_key"],
                  case .integer(let overlapUntil)? = details["overlap_until_ms"], overlapUntil.value >= 0
            else { return nil }
            self.init(origin: origin, version: UInt32(version.value), verifierKey: key, overlapUntilMs: UInt64(overlapUntil.value))
        }

        var details: [String: CanonicalJSON] {
            [
                "new_key_version": CanonicalJSON(exactly: version) ?? .null,
                "new_verifier_key": .string(verifierKey),
                "overlap_until_ms": CanonicalJSON(exactly: overlapUntilMs) ?? .null,
            ]
        }
    }

    public enum Failure: DomainError, Equatable, CustomStringConvertible {
        case overlapTooLong(hoursMax: UInt64)
        public var slug: String { "validation-failed" }
        public var description: String {
            switch self {
            case .overlapTooLong(let hoursMax): "the overlap may be at most \(hoursMax) hours"
            }
        }
    }

    private let keeper: any RecordKeeper
    private let store: any AuditLogStore
    private let keys: any CheckpointSigner
    private let origins: AuditOrigins
    private let clock: any Clock

    public init(keeper: any RecordKeeper, store: any AuditLogStore, keys: any CheckpointSigner, origins: AuditOrigins, clock: any Clock) {
        self.keeper = keeper
        self.store = store
        self.keys = keys
        self.origins = origins
        self.clock = clock
    }

    /// Announces the next key of `scope`'s log; the old key keeps signing for `overlapMs`.
    /// A rotation announced but not yet covered by a checkpoint is announced again (same
    /// version, same key), which changes nothing.
    public func callAsFunction(
        scope: AuditScope, overlapMs: UInt64, context: AuditContext
    ) async throws -> (announcement: Announcement, receipts: [AuditReceipt]) {
        guard overlapMs <= Self.overlapMsMax else { throw Failure.overlapTooLong(hoursMax: Self.overlapMsMax / 3_600_000) }
        let origin = origins.origin(of: scope)
        let schedule = try LogKeySchedule(rotations: try await store.keyRotations(origin: origin))
        let version = schedule.currentVersion + 1
        let announcement = Announcement(
            origin: origin, version: version, verifierKey: try keys.verifierKey(origin: origin, version: version).description,
            overlapUntilMs: clock.now().unixMillisecondsClamped + overlapMs
        )
        // In the log itself and, for a tenant's log, in the system log too.
        let events = ([scope] + (scope == .system ? [] : [.system])).map { log in
            AuditEvent(
                scope: log, eventType: Self.eventType, context: context, outcome: .success,
                resourceType: "audit_log", resourceID: origin, details: announcement.details
            )
        }
        return (announcement, try await keeper.commit(AuditedChange(events: events)))
    }
}
