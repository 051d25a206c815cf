/// Where the outcomes of keyed creating requests are read back (`RunIdempotently`). They are
/// written by a `RecordKeeper` only (`BusinessWrite.rememberOutcome`), in the change that made
/// what they name.
public protocol IdempotencyStore: Sendable {
    /// The client's outcome for this key, or nil.
    func outcome(of key: IdempotencyKey, client: ClientID, tenant: TenantID) async throws -> IdempotentOutcome?
    /// Forgets at most `limit` outcomes created before `cutoff`; returns how many.
    func prune(createdBefore cutoff: UTCTimestamp, limit: Int) async throws -> Int
}
