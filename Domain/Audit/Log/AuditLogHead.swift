/// The tip of one log: what the next entry must link to. Appending through the head is the only
/// way entries are made, so indices are gap-free, each entry names its predecessor's leaf hash,
/// and time never runs backwards (§3.1), whatever the clock does.
public struct AuditLogHead: Hashable, Sendable {
    public let origin: String
    public private(set) var size: UInt64
    public private(set) var lastLeafHash: [UInt8]
    public private(set) var lastTimestampMs: UInt64

    /// The head of an empty log.
    public init(origin: String) {
        self.init(origin: origin, size: 0, lastLeafHash: AuditLeaf.zeroHash, lastTimestampMs: 0)
    }

    /// A head restored from storage, or nil when the stored values cannot be a head (a hash that is
    /// not 32 bytes, or an empty log that links to something): storage was changed behind Custos.
    public static func restored(origin: String, size: UInt64, lastLeafHash: [UInt8], lastTimestampMs: UInt64) -> AuditLogHead? {
        guard lastLeafHash.count == AuditLeaf.hashByteCount, size > 0 || lastLeafHash == AuditLeaf.zeroHash else { return nil }
        return AuditLogHead(origin: origin, size: size, lastLeafHash: lastLeafHash, lastTimestampMs: lastTimestampMs)
    }

    /// A head from values known to be consistent (use `restored` for values read from storage).
    public init(origin: String, size: UInt64, lastLeafHash: [UInt8], lastTimestampMs: UInt64) {
        precondition(lastLeafHash.count == AuditLeaf.hashByteCount, "a leaf hash is 32 bytes")
        precondition(size > 0 || lastLeafHash == AuditLeaf.zeroHash, "an empty log links to zeros")
        self.origin = origin
        self.size = size
        self.lastLeafHash = lastLeafHash
        self.lastTimestampMs = lastTimestampMs
    }

    /// Makes the next entry and advances the head past it.
    public mutating func append(
        eventType: String, actor: String, payload: CanonicalJSON, nowMs: UInt64
    ) throws(AuditLeafError) -> AuditLeaf {
        try append(eventType: eventType, actor: actor, canonicalPayload: payload.canonicalBytes, nowMs: nowMs)
    }

    /// Makes the next entry from an already canonical payload (`AuditEvent.canonicalPayload`).
    public mutating func append(
        eventType: String, actor: String, canonicalPayload: [UInt8], nowMs: UInt64, hasher: any SHA256Hashing = PortableSHA256()
    ) throws(AuditLeafError) -> AuditLeaf {
        let leaf = try AuditLeaf(
            origin: origin, index: size, timestampMs: max(nowMs, lastTimestampMs), previousLeafHash: lastLeafHash,
            eventType: eventType, actor: actor, payload: canonicalPayload, hasher: hasher
        )
        size += 1
        lastLeafHash = leaf.leafHash
        lastTimestampMs = leaf.timestampMs
        return leaf
    }
}

extension AuditOrigins {
    /// The entries of `events`, in order, each appended to its log's head in `heads`, which must
    /// hold every log the events name (a writer holds their locks). What every record keeper does
    /// with a change's events once it has the heads.
    public func append(
        _ events: [AuditEvent], to heads: inout [String: AuditLogHead], nowMs: UInt64, hasher: any SHA256Hashing = PortableSHA256()
    ) throws(AuditLeafError) -> [AuditLeaf] {
        var leaves: [AuditLeaf] = []
        leaves.reserveCapacity(events.count)
        for event in events {
            let origin = origin(of: event.scope)
            guard var head = heads[origin] else { preconditionFailure("no head for \(origin)") }
            leaves.append(try head.append(eventType: event.eventType, actor: event.actor, canonicalPayload: event.canonicalPayload, nowMs: nowMs, hasher: hasher))
            heads[origin] = head
        }
        return leaves
    }
}
