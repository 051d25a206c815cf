/// Walks a log's entries in order and checks each against its place (§8 step 4): it parses,
/// belongs to this log at this index, links to its predecessor, keeps time in order, and
/// carries a canonical payload. Returns each entry's leaf hash for the tree.
struct EntryChain {
    struct Broken: Error {
        let check: String
        let reason: String
        /// The entry found bad, when it is not the one being read (a link names its predecessor).
        var index: UInt64?
    }

    let origin: String
    private var previousLeafHash = AuditLeaf.zeroHash
    private var previousTimestampMs: UInt64 = 0

    init(origin: String) {
        self.origin = origin
    }

    /// A chain that goes on after `previous`, an entry already checked (the next one read must
    /// have index `previous.index + 1`).
    init(origin: String, after previous: AuditLeaf) {
        self.origin = origin
        self.previousLeafHash = previous.leafHash
        self.previousTimestampMs = previous.timestampMs
    }

    mutating func accept(_ bytes: [UInt8], at index: UInt64) throws(Broken) -> [UInt8] {
        let leaf: AuditLeaf
        do {
            leaf = try AuditLeaf(decoding: bytes)
        } catch {
            throw Broken(check: "entry encoding", reason: "\(error)")
        }
        guard leaf.origin == origin else {
            throw Broken(check: "entry origin", reason: "belongs to \(leaf.origin), not \(origin)")
        }
        guard leaf.index == index else {
            throw Broken(check: "entry index", reason: "says index \(leaf.index)")
        }
        guard leaf.previousLeafHash == previousLeafHash else {
            guard index > 0 else { throw Broken(check: "hash chain", reason: "the first entry must link to zeros") }
            // Entry index-1 no longer hashes to what its successor recorded when it was appended.
            throw Broken(
                check: "hash chain",
                reason: "does not hash to the previous_leaf_hash recorded by entry \(index) (this entry, or that link, was altered)",
                index: index - 1
            )
        }
        guard leaf.timestampMs >= previousTimestampMs else {
            throw Broken(check: "entry time", reason: "timestamp \(leaf.timestampMs) is before the previous entry's \(previousTimestampMs)")
        }
        guard let payload = try? CanonicalJSON.parse(leaf.payload), case .object = payload,
              payload.canonicalBytes == leaf.payload
        else { throw Broken(check: "payload", reason: "payload is not a canonical JSON object (RFC 8785, restricted)") }
        // Strict decoding admits one encoding per entry; checked rather than assumed, since the
        // bytes come from whoever handed over the log.
        guard leaf.encoded == bytes else { throw Broken(check: "entry encoding", reason: "not in canonical form") }
        let hash = leaf.leafHash
        previousLeafHash = hash
        previousTimestampMs = leaf.timestampMs
        return hash
    }
}
