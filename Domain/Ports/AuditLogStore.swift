/// Read access to stored audit logs, and the one write a checkpointer makes: saving a signed
/// checkpoint. Entries are returned exactly as stored; verifying them is the caller's job.
public protocol AuditLogStore: Sendable {
    /// The log's head, or nil when nothing was ever appended to it.
    func head(origin: String) async throws -> AuditLogHead?
    /// The stored entries with indices in `start ..< start + count` (`count` at most 4,096), in
    /// index order. Missing rows are simply absent: fewer entries come back, never others.
    func entries(origin: String, from start: UInt64, count: Int) async throws -> [[UInt8]]
    /// The signed checkpoint with the largest size, verbatim, or nil.
    func latestCheckpoint(origin: String) async throws -> String?
    /// Stores a signed checkpoint of `size` entries. Saving the same size twice keeps the first.
    func saveCheckpoint(origin: String, size: UInt64, note: String) async throws
    /// Logs whose size exceeds their latest checkpoint's, at most `limit` of them.
    func originsAwaitingCheckpoint(limit: Int) async throws -> [String]
}

/// Signs checkpoint texts with a log's current key (the key name is the log's origin).
public protocol CheckpointSigner: Sendable {
    func sign(checkpointText: String, origin: String) throws -> SignedNote
    func verifierKeys(origin: String) throws -> [NoteVerifierKey]
}

extension AuditLogStore {
    /// The largest page `entries(origin:from:count:)` is asked for.
    public static var entriesPerPageMax: Int { 4_096 }

    /// Reads the entries with indices `0 ..< size` page by page, handing each page to `body` with
    /// its first index and how many entries it should hold. Missing rows make a page shorter;
    /// what that means is the caller's to decide.
    public func forEachPage(
        origin: String, size: UInt64,
        _ body: (_ start: UInt64, _ expected: Int, _ entries: [[UInt8]]) throws -> Void
    ) async throws {
        var start: UInt64 = 0
        while start < size {
            let count = Int(min(UInt64(Self.entriesPerPageMax), size - start))
            try body(start, count, try await entries(origin: origin, from: start, count: count))
            start += UInt64(count)
        }
    }
}
