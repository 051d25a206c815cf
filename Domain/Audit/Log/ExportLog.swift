/// Reads a stored log up to its latest signed checkpoint and lays it out as tlog-tiles export
/// files (docs/audit-log.md §7). It signs nothing and checks nothing: verification is the
/// auditor's, on exactly these bytes.
public struct ExportLog: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noCheckpoint(origin: String)
        public var description: String {
            switch self {
            case .noCheckpoint(let origin): "the log \(origin) has no signed checkpoint yet"
            }
        }
    }

    private let store: any AuditLogStore

    public init(store: any AuditLogStore) {
        self.store = store
    }

    /// The checkpoint's size and the export files (without a manifest).
    public func callAsFunction(origin: String) async throws -> (size: UInt64, files: [TiledLogExport.File]) {
        guard let note = try await store.latestCheckpoint(origin: origin) else { throw Failure.noCheckpoint(origin: origin) }
        let size = try Checkpoint(parsing: try SignedNote(parsing: note).text).size
        // Read by index range: a missing row leaves a gap in what is read, and the export carries
        // exactly what is stored, so that the verifier names the first missing index.
        var entries: [[UInt8]] = []
        try await store.forEachPage(origin: origin, size: size) { _, _, batch in entries += batch }
        return (size, try TiledLogExport.files(entries: entries, checkpointNote: note, size: size))
    }
}
