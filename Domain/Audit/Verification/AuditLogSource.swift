/// Where a verifier reads a log from: a tlog-tiles export today, the database tomorrow.
/// Reads are synchronous and bounded: one checkpoint, one entry bundle (at most 256 entries of
/// at most 65,535 bytes) or one tile (at most 8 KiB) at a time.
public protocol AuditLogSource {
    /// The latest signed checkpoint, verbatim.
    func checkpointNote() throws -> String
    /// Entry bundle `index` as stored: full (`width` 256) or the partial one at the end.
    func entryBundle(index: UInt64, width: Int) throws -> [UInt8]
    /// Tile bytes, when the source has tiles (an export); `nil` when it has none.
    func tile(level: Int, index: UInt64, width: Int) throws -> [UInt8]?
}

/// The verdict of a verification, step by step, with the first failure named.
public struct AuditVerificationReport: Sendable, Equatable {
    public enum Status: String, Sendable { case passed, failed, skipped }

    public struct Check: Sendable, Equatable {
        public let name: String
        public let status: Status
        public let detail: String
    }

    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        public let check: String
        /// The first entry found bad, when the failure concerns an entry.
        public let index: UInt64?
        public let reason: String
        public var description: String {
            "\(check): " + (index.map { "entry \($0): " } ?? "") + reason
        }
    }

    public internal(set) var checks: [Check] = []
    public internal(set) var failure: Failure?
    public internal(set) var origin: String?
    public internal(set) var size: UInt64 = 0
    public internal(set) var entriesVerified: UInt64 = 0
    public internal(set) var entryBytesVerified: UInt64 = 0

    public var verified: Bool { failure == nil && !checks.isEmpty }

    mutating func pass(_ name: String, _ detail: String) {
        checks.append(Check(name: name, status: .passed, detail: detail))
    }

    mutating func skip(_ name: String, _ detail: String) {
        checks.append(Check(name: name, status: .skipped, detail: detail))
    }

    mutating func fail(_ name: String, index: UInt64? = nil, _ reason: String) {
        checks.append(Check(name: name, status: .failed, detail: (index.map { "entry \($0): " } ?? "") + reason))
        if failure == nil { failure = Failure(check: name, index: index, reason: reason) }
    }
}
