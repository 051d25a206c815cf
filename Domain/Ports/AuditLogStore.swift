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
