/// One audit-log entry, encoded exactly as docs/audit-log.md §3.1 defines (version 1).
/// The payload is kept as the stored canonical-JSON bytes: the leaf is about framing and
/// binding; whether the payload is canonical is checked separately (§3.3).
public struct AuditLeaf: Hashable, Sendable {
    public static let version: UInt8 = 1
    /// The whole encoded entry: it must fit tlog-tiles' 16-bit entry-bundle length prefix.
    public static let encodedBytesMax = 65_535
    public static let hashByteCount = SHA256Digest.byteCount
    public static let zeroHash = [UInt8](repeating: 0, count: hashByteCount)

    public let origin: String
    public let index: UInt64
    public let timestampMs: UInt64
    public let previousLeafHash: [UInt8]
    public let eventType: String
    public let actor: String
    public let payload: [UInt8]
    /// The entry's bytes: what is hashed into the tree and stored in entry bundles (computed once).
    public let encoded: [UInt8]
    /// RFC 6962 leaf hash: SHA-256(0x00 ‖ entry) (computed once).
    public let leafHash: [UInt8]

    /// Checks every field's bounds; throws rather than trapping, since entries are rebuilt from storage.
    /// `hasher` computes the leaf hash (a writer may pass the machine's SHA instructions).
    public init(
        origin: String, index: UInt64, timestampMs: UInt64, previousLeafHash: [UInt8],
        eventType: String, actor: String, payload: [UInt8], hasher: any SHA256Hashing = PortableSHA256()
    ) throws(AuditLeafError) {
        guard previousLeafHash.count == AuditLeaf.hashByteCount else { throw .fieldOutOfBounds("previous_leaf_hash") }
        try AuditLeaf.checkBounds(origin: origin, eventType: eventType, actor: actor, payload: payload)
        self.origin = origin
        self.index = index
        self.timestampMs = timestampMs
        self.previousLeafHash = previousLeafHash
        self.eventType = eventType
        self.actor = actor
        self.payload = payload
        let byteCount = AuditLeaf.encodedByteCount(origin: origin, eventType: eventType, actor: actor, payload: payload)
        let bytes = AuditLeaf.encode(
            origin: origin, index: index, timestampMs: timestampMs, previousLeafHash: previousLeafHash,
            eventType: eventType, actor: actor, payload: payload, byteCount: byteCount
        )
        self.encoded = bytes
        self.leafHash = bytes.withUnsafeBytes { hasher.leafHash($0).bytes }
    }

    /// Whether an entry with these variable-length fields can be encoded (index, time and hash
    /// are fixed width): lets a writer refuse an event before it joins a batch.
    public static func checkBounds(origin: String, eventType: String, actor: String, payload: [UInt8]) throws(AuditLeafError) {
        guard (1...255).contains(origin.utf8.count) else { throw .fieldOutOfBounds("origin") }
        guard AuditLeaf.isValidEventType(eventType) else { throw .fieldOutOfBounds("event_type") }
        guard (1...255).contains(actor.utf8.count) else { throw .fieldOutOfBounds("actor") }
        guard payload.count <= 65_535 else { throw .fieldOutOfBounds("payload") }
        let byteCount = encodedByteCount(origin: origin, eventType: eventType, actor: actor, payload: payload)
        guard byteCount <= AuditLeaf.encodedBytesMax else { throw .tooLarge(bytes: byteCount) }
    }

    static func encodedByteCount(origin: String, eventType: String, actor: String, payload: [UInt8]) -> Int {
        1 + 1 + origin.utf8.count + 8 + 8 + 32 + 1 + eventType.utf8.count + 1 + actor.utf8.count + 2 + payload.count
    }

    static func encode(
        origin: String, index: UInt64, timestampMs: UInt64, previousLeafHash: [UInt8],
        eventType: String, actor: String, payload: [UInt8], byteCount: Int
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        out.append(AuditLeaf.version)
        out.append(UInt8(origin.utf8.count))
        out.append(contentsOf: origin.utf8)
        AuditLeaf.appendBigEndian(index, to: &out)
        AuditLeaf.appendBigEndian(timestampMs, to: &out)
        out.append(contentsOf: previousLeafHash)
        out.append(UInt8(eventType.utf8.count))
        out.append(contentsOf: eventType.utf8)
        out.append(UInt8(actor.utf8.count))
        out.append(contentsOf: actor.utf8)
        out.append(UInt8(payload.count >> 8))
        out.append(UInt8(payload.count & 0xff))
        out.append(contentsOf: payload)
        precondition(out.count == byteCount, "leaf encoding length mismatch")
        return out
    }

    /// Parses an entry strictly: known version, every length within the input, valid UTF-8,
    /// no trailing bytes. The error names the field where parsing stopped.
    public init(decoding bytes: [UInt8]) throws(AuditLeafError) {
        guard bytes.count <= AuditLeaf.encodedBytesMax else { throw .tooLarge(bytes: bytes.count) }
        var reader = ByteReader(bytes)
        let version = try reader.uint8("version")
        guard version == AuditLeaf.version else { throw .unknownVersion(version) }
        let origin = try reader.text("origin", lengthBytes: 1)
        let index = try reader.uint64("index")
        let timestamp = try reader.uint64("timestamp_ms")
        let previous = try reader.bytes("previous_leaf_hash", count: AuditLeaf.hashByteCount)
        let eventType = try reader.text("event_type", lengthBytes: 1)
        let actor = try reader.text("actor", lengthBytes: 1)
        let payloadLength = try reader.length("payload", lengthBytes: 2)
        let payload = try reader.bytes("payload", count: payloadLength)
        guard reader.isAtEnd else { throw .trailingBytes(count: reader.remaining) }
        try self.init(
            origin: origin, index: index, timestampMs: timestamp, previousLeafHash: previous,
            eventType: eventType, actor: actor, payload: payload
        )
    }

    /// `[a-z][a-z0-9_]*` segments joined by dots, at least two segments, at most 255 bytes.
    public static func isValidEventType(_ type: String) -> Bool {
        var type = type
        return type.withUTF8 { isValidEventType(UnsafeRawBufferPointer($0)) }
    }

    static func appendBigEndian(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

public enum AuditLeafError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(field: String)
    case unknownVersion(UInt8)
    case invalidUTF8(field: String)
    case trailingBytes(count: Int)
    case fieldOutOfBounds(String)
    case tooLarge(bytes: Int)

    public var description: String {
        switch self {
        case .truncated(let field): "entry ends inside \(field)"
        case .unknownVersion(let version): "unknown entry version \(version)"
        case .invalidUTF8(let field): "\(field) is not valid UTF-8"
        case .trailingBytes(let count): "\(count) bytes after the payload"
        case .fieldOutOfBounds(let field): "\(field) is empty, too long or malformed"
        case .tooLarge(let bytes): "entry of \(bytes) bytes exceeds \(AuditLeaf.encodedBytesMax)"
        }
    }
}

/// A bounds-checked cursor over an entry's bytes.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }
    var remaining: Int { bytes.count - position }

    mutating func bytes(_ field: String, count: Int) throws(AuditLeafError) -> [UInt8] {
        guard count <= remaining else { throw .truncated(field: field) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func uint8(_ field: String) throws(AuditLeafError) -> UInt8 {
        try bytes(field, count: 1)[0]
    }

    mutating func uint64(_ field: String) throws(AuditLeafError) -> UInt64 {
        try bytes(field, count: 8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func length(_ field: String, lengthBytes: Int) throws(AuditLeafError) -> Int {
        try bytes(field, count: lengthBytes).reduce(0) { $0 << 8 | Int($1) }
    }

    mutating func text(_ field: String, lengthBytes: Int) throws(AuditLeafError) -> String {
        let raw = try bytes(field, count: try length(field, lengthBytes: lengthBytes))
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }
}

// MARK: - Reading without copying

extension AuditLeaf {
    /// An entry's fields as positions in its encoded bytes, read without copying anything: what
    /// the verifier uses for each of a log's entries. It accepts exactly the bytes that
    /// `init(decoding:)` accepts (same framing, bounds, event-type and UTF-8 rules); when it
    /// refuses, `init(decoding:)` names the reason.
    struct View {
        let bytes: UnsafeRawBufferPointer
        let origin: Range<Int>
        let index: UInt64
        let timestampMs: UInt64
        /// Where the 32 bytes of `previous_leaf_hash` start.
        let previousLeafHashOffset: Int
        let eventType: Range<Int>
        let actor: Range<Int>
        let payload: Range<Int>

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count <= AuditLeaf.encodedBytesMax, bytes.count > 0, bytes[0] == AuditLeaf.version else { return nil }
            var cursor = 1
            guard let origin = View.field(bytes, &cursor, lengthBytes: 1), !origin.isEmpty,
                  bytes.count - cursor >= 8 + 8 + AuditLeaf.hashByteCount
            else { return nil }
            let index = View.uint64(bytes, at: cursor)
            let timestampMs = View.uint64(bytes, at: cursor + 8)
            let previousLeafHashOffset = cursor + 16
            cursor += 16 + AuditLeaf.hashByteCount
            guard let eventType = View.field(bytes, &cursor, lengthBytes: 1),
                  let actor = View.field(bytes, &cursor, lengthBytes: 1), !actor.isEmpty,
                  let payload = View.field(bytes, &cursor, lengthBytes: 2), cursor == bytes.count,
                  AuditLeaf.isValidEventType(UnsafeRawBufferPointer(rebasing: bytes[eventType])),
                  UTF8Validation.isWellFormed(UnsafeRawBufferPointer(rebasing: bytes[origin])),
                  UTF8Validation.isWellFormed(UnsafeRawBufferPointer(rebasing: bytes[actor]))
            else { return nil }
            self.bytes = bytes
            self.origin = origin
            self.index = index
            self.timestampMs = timestampMs
            self.previousLeafHashOffset = previousLeafHashOffset
            self.eventType = eventType
            self.actor = actor
            self.payload = payload
        }

        var previousLeafHash: SHA256Digest {
            SHA256Digest(loadingFrom: bytes.baseAddress! + previousLeafHashOffset)
        }

        subscript(_ range: Range<Int>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[range])
        }

        /// A length prefix of `lengthBytes` bytes and the field it announces, within `bytes`.
        private static func field(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, lengthBytes: Int) -> Range<Int>? {
            guard bytes.count - cursor >= lengthBytes else { return nil }
            var length = 0
            for offset in 0..<lengthBytes { length = length << 8 | Int(bytes[cursor + offset]) }
            let start = cursor + lengthBytes
            guard bytes.count - start >= length else { return nil }
            cursor = start + length
            return start..<cursor
        }

        private static func uint64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    /// `isValidEventType(_:)` over raw bytes.
    static func isValidEventType(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard (1...255).contains(bytes.count) else { return false }
        var segmentCount = 1
        var atSegmentStart = true
        for byte in bytes {
            let isLower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            if byte == UInt8(ascii: ".") {
                guard !atSegmentStart else { return false }
                segmentCount += 1
                atSegmentStart = true
            } else if atSegmentStart {
                guard isLower else { return false }
                atSegmentStart = false
            } else {
                guard isLower || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") else {
                    return false
                }
            }
        }
        return !atSegmentStart && segmentCount >= 2
    }
}
