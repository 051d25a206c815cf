import Foundation

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

    /// What `precheck` reads from an entry that passed every check of its own.
    struct Prechecked: Sendable {
        let previousLeafHash: SHA256Digest
        let timestampMs: UInt64
    }

    let origin: String
    private var previousLeafHash = SHA256Digest.zero
    private var previousTimestampMs: UInt64 = 0

    init(origin: String) {
        self.origin = origin
    }

    /// A chain that goes on after `previous`, an entry already checked (the next one read must
    /// have index `previous.index + 1`).
    init(origin: String, after previous: AuditLeaf) {
        self.origin = origin
        guard let hash = SHA256Digest(previous.leafHash) else { preconditionFailure("an AuditLeaf's leaf hash is 32 bytes") }
        self.previousLeafHash = hash
        self.previousTimestampMs = previous.timestampMs
    }

    mutating func accept(_ bytes: [UInt8], at index: UInt64) throws(Broken) -> [UInt8] {
        try acceptLeaf(bytes, at: index).leafHash
    }

    /// `accept`, returning the decoded entry, for callers that read its fields too.
    mutating func acceptLeaf(_ bytes: [UInt8], at index: UInt64) throws(Broken) -> AuditLeaf {
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
        guard SHA256Digest(leaf.previousLeafHash) == previousLeafHash else {
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
        guard CanonicalJSON.isCanonicalObject(leaf.payload) else { throw Broken(check: "payload", reason: "payload is not a canonical JSON object (RFC 8785, restricted)") }
        // Strict decoding admits one encoding per entry; checked rather than assumed, since the
        // bytes come from whoever handed over the log.
        guard leaf.encoded == bytes else { throw Broken(check: "entry encoding", reason: "not in canonical form") }
        guard let digest = SHA256Digest(leaf.leafHash) else { preconditionFailure("a leaf hash is 32 bytes") }
        previousLeafHash = digest
        previousTimestampMs = leaf.timestampMs
        return leaf
    }

    // MARK: The same checks in two halves, for checking many entries side by side

    /// The checks of `accept` that need no predecessor, on an entry read in place: it decodes,
    /// belongs to this log (`origin`, as UTF-8) at `index`, and carries a canonical payload.
    /// `nil` when any fails; `link` then lets `accept` name the failure.
    static func precheck(_ entry: UnsafeRawBufferPointer, origin: UnsafeRawBufferPointer, index: UInt64) -> Prechecked? {
        guard let view = AuditLeaf.View(entry), view.index == index else { return nil }
        let entryOrigin = view[view.origin]
        guard entryOrigin.count == origin.count, memcmp(entryOrigin.baseAddress!, origin.baseAddress!, origin.count) == 0,
              CanonicalJSON.isCanonicalObject(view[view.payload])
        else { return nil }
        return Prechecked(previousLeafHash: view.previousLeafHash, timestampMs: view.timestampMs)
    }

    /// The rest of `accept` for entry `index`, whose own checks gave `prechecked` and whose leaf
    /// hash is `leafHash`: it links to its predecessor and keeps time in order. Whenever anything
    /// fails (or `precheck` found fault), `accept` runs on the entry, so the failure is named
    /// exactly as `accept` names it, and an entry `accept` takes is taken.
    mutating func link(
        _ prechecked: Prechecked?, _ entry: UnsafeRawBufferPointer, leafHash: SHA256Digest, at index: UInt64
    ) throws(Broken) {
        guard let prechecked, prechecked.previousLeafHash == previousLeafHash, prechecked.timestampMs >= previousTimestampMs else {
            _ = try accept(Array(entry), at: index)
            return
        }
        previousLeafHash = leafHash
        previousTimestampMs = prechecked.timestampMs
    }
}
