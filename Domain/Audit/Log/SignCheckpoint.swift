/// Signs a new checkpoint for a log that has grown (docs/audit-log.md §5.1, §10).
///
/// The tree is extended incrementally, never rehashed from the start: the stored nodes on the
/// right edge of the last signed tree are read and must hash to that checkpoint's root; the last
/// signed entry is read and must be included under it; then only the new entries are read,
/// their chain checked and their leaf hashes appended. Before signing, the consistency proof
/// from the last checkpoint to the new tree is built and verified: the log never signs a fork.
/// The checkpoint and the nodes it made are stored together.
///
/// Checkpoints are signed by the key versions the log's `LogKeySchedule` names (§5.3). The
/// schedule grows from the log itself: a `log.key_rotated` entry among the new entries must
/// announce the next version with the key this signer derives for it; it is stored with the
/// checkpoint that first covers it, which the old key signs too.
///
/// When stored nodes are missing (a database older than the node table, or nodes never saved),
/// the tree is rebuilt from every stored entry once, checked against the last checkpoint all
/// the same, and its nodes stored with the next checkpoint.
public struct SignCheckpoint: Sendable {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case storedEntriesDisagree(origin: String, detail: String)
        case inconsistentWithPreviousCheckpoint(origin: String, detail: String)
        case storedNodesDisagree(origin: String, detail: String)
        case keyScheduleInvalid(origin: String, detail: String)

        public var description: String {
            switch self {
            case .storedEntriesDisagree(let origin, let detail): "refusing to sign \(origin): stored entries disagree: \(detail)"
            case .inconsistentWithPreviousCheckpoint(let origin, let detail):
                "refusing to sign \(origin): not consistent with its last checkpoint: \(detail)"
            case .storedNodesDisagree(let origin, let detail): "refusing to sign \(origin): stored tree nodes disagree: \(detail)"
            case .keyScheduleInvalid(let origin, let detail): "refusing to sign \(origin): its key rotations are invalid: \(detail)"
            }
        }
    }

    /// How the tree was brought to the last signed size before growing it.
    public enum Start: Equatable, Sendable {
        /// From the stored right edge: O(log n) reads.
        case resumed
        /// From every stored entry, because stored nodes were missing.
        case rebuilt
        /// From nothing: the log had no checkpoint.
        case fresh
    }

    private let store: any AuditLogStore
    private let signer: any CheckpointSigner
    private let verifier: any SignatureVerifier
    private let clock: any Clock

    public init(store: any AuditLogStore, signer: any CheckpointSigner, verifier: any SignatureVerifier, clock: any Clock) {
        self.store = store
        self.signer = signer
        self.verifier = verifier
        self.clock = clock
    }

    /// What growing the tree learned besides hashes: key rotations announced by new entries.
    private struct Growth {
        var schedule: LogKeySchedule
        var learned: [LogKeySchedule.Rotation] = []
    }

    /// The new signed checkpoint, or nil when the log has not grown since the last one (or
    /// another signer stored a later one meanwhile).
    @discardableResult
    public func callAsFunction(origin: String) async throws -> SignedNote? {
        try await sign(origin: origin)?.note
    }

    /// As `callAsFunction`, also telling how the tree was started.
    public func sign(origin: String) async throws -> (note: SignedNote, start: Start)? {
        // The checkpoint first, then the head: entries are never removed, so a head read later is
        // never behind a checkpoint that was stored earlier, even while other signers run.
        let previous = try await store.latestCheckpoint(origin: origin).map { try SignedNote(parsing: $0) }
        let previousBody = try previous.map { try Checkpoint(parsing: $0.text) }
        guard let head = try await store.head(origin: origin) else {
            guard previousBody == nil else {
                throw Refusal.storedEntriesDisagree(origin: origin, detail: "a checkpoint is stored but no entry")
            }
            return nil
        }
        var growth = Growth(schedule: try await verifiedSchedule(origin: origin, previous: previous, previousBody: previousBody))
        if let previousBody {
            // Checked only after the signature: a stored row claiming a larger tree must not
            // silence the signer.
            guard previousBody.size <= head.size else {
                throw Refusal.inconsistentWithPreviousCheckpoint(
                    origin: origin, detail: "it covers \(previousBody.size) entries, but \(head.size) are stored"
                )
            }
            if previousBody.size == head.size { return nil }
        }
        var (tree, chain, start) = try await startingTree(origin: origin, previous: previousBody, growth: &growth)
        try await append(origin: origin, upTo: head.size, tree: &tree, chain: &chain, growth: &growth)
        let root = try MerkleTree.root(treeSize: head.size, from: tree)
        if let previousBody, previousBody.size > 0 {
            let plan = try MerkleTree.consistencyPlan(size1: previousBody.size, size2: head.size)
            try await require(&tree, origin: origin, plan: plan)
            do {
                try MerkleTree.verifyConsistency(
                    size1: previousBody.size, size2: head.size, root1: previousBody.rootHash, root2: root,
                    proof: plan.hashes(from: tree)
                )
            } catch {
                throw Refusal.inconsistentWithPreviousCheckpoint(origin: origin, detail: "\(error)")
            }
        }
        let checkpoint = try Checkpoint(origin: origin, size: head.size, rootHash: root)
        let versions = growth.schedule.signingVersions(
            size: head.size, previousSize: previousBody?.size ?? 0, nowMs: clock.now().unixMillisecondsClamped
        )
        let note = try signer.sign(checkpointText: checkpoint.text, origin: origin, versions: versions)
        switch try await store.saveCheckpoint(
            origin: origin, size: head.size, note: note.encoded, extending: previousBody?.size ?? 0, nodes: tree.appended,
            rotations: growth.learned
        ) {
        case .saved: return (note, start)
        case .superseded: return nil
        case .conflictingNode(let level, let index):
            throw Refusal.storedNodesDisagree(origin: origin, detail: "node \(index) of level \(level) is stored with another hash")
        }
    }

    // MARK: - Keys

    /// The log's key schedule as stored, trusted only once checked: the last checkpoint must
    /// verify under one of its keys (cheap, and first: a checkpoint none of this log's keys vouch
    /// for stops us before any reading), and every stored rotation must be the `log.key_rotated`
    /// entry it names, included under that checkpoint, announcing that version with the key this
    /// signer derives for it and the same overlap.
    private func verifiedSchedule(origin: String, previous: SignedNote?, previousBody: Checkpoint?) async throws -> LogKeySchedule {
        let refuse = { (detail: String) in Refusal.keyScheduleInvalid(origin: origin, detail: detail) }
        let schedule: LogKeySchedule
        do {
            schedule = try LogKeySchedule(rotations: try await store.keyRotations(origin: origin))
        } catch let invalid as LogKeySchedule.Invalid {
            throw refuse(invalid.description)
        }
        guard let previous, let previousBody else {
            guard schedule.rotations.isEmpty else { throw refuse("rotations are stored but no checkpoint covers them") }
            return schedule
        }
        do {
            let keys = try schedule.versions.map { try signer.verifierKey(origin: origin, version: $0) }
            _ = try previous.verify(trusting: keys, with: verifier)
        } catch {
            throw Refusal.inconsistentWithPreviousCheckpoint(origin: origin, detail: "\(error)")
        }
        for rotation in schedule.rotations {
            let detail = "the stored rotation to version \(rotation.version) does not match entry \(rotation.entryIndex)"
            guard rotation.entryIndex < previousBody.size,
                  let bytes = try await store.entries(origin: origin, from: rotation.entryIndex, count: 1).first,
                  let leaf = try? AuditLeaf(decoding: bytes), leaf.origin == origin, leaf.index == rotation.entryIndex,
                  leaf.eventType == RotateLogKey.eventType,
                  let announcement = RotateLogKey.Announcement(payload: leaf.payload), announcement.origin == origin,
                  announcement.version == rotation.version, announcement.overlapUntilMs == rotation.overlapUntilMs,
                  try signer.verifierKey(origin: origin, version: rotation.version).description == announcement.verifierKey
            else { throw refuse(detail) }
            var nodes = MerkleNodeSet(treeSize: previousBody.size)
            let plan = try MerkleTree.inclusionPlan(index: rotation.entryIndex, treeSize: previousBody.size)
            guard try await store.fill(&nodes, origin: origin, ranges: MerkleNodeSet.ranges(covering: plan.subtrees)).isEmpty,
                  (try? MerkleTree.verifyInclusion(
                      leafHash: MerkleTree.leafHash(bytes), index: rotation.entryIndex, treeSize: previousBody.size,
                      proof: plan.hashes(from: nodes), root: previousBody.rootHash
                  )) != nil
            else { throw refuse(detail + " under the last checkpoint") }
        }
        return schedule
    }

    // MARK: - Up to the last signed size

    private func startingTree(
        origin: String, previous: Checkpoint?, growth: inout Growth
    ) async throws -> (MerkleNodeSet, EntryChain, Start) {
        guard let previous, previous.size > 0 else { return (MerkleNodeSet(treeSize: 0), EntryChain(origin: origin), .fresh) }
        if let resumed = try await resumed(origin: origin, previous: previous) {
            return (resumed.0, resumed.1, .resumed)
        }
        var tree = MerkleNodeSet(treeSize: 0)
        var chain = EntryChain(origin: origin)
        try await append(origin: origin, upTo: previous.size, tree: &tree, chain: &chain, growth: &growth)
        guard try MerkleTree.root(treeSize: previous.size, from: tree) == previous.rootHash else {
            throw Refusal.inconsistentWithPreviousCheckpoint(
                origin: origin, detail: "the stored entries 0..<\(previous.size) do not hash to its root"
            )
        }
        return (tree, chain, .rebuilt)
    }

    /// The tree at the last signed size from its stored right edge, and the chain after its last
    /// entry; nil when stored nodes are missing. Everything read is checked against the signed root.
    private func resumed(origin: String, previous: Checkpoint) async throws -> (MerkleNodeSet, EntryChain)? {
        let size = previous.size
        var tree = MerkleNodeSet(treeSize: size)
        let lastPlan = try MerkleTree.inclusionPlan(index: size - 1, treeSize: size)
        let needed = MerkleNodeSet.rightEdge(treeSize: size) + MerkleNodeSet.ranges(covering: lastPlan.subtrees)
        guard try await store.fill(&tree, origin: origin, ranges: needed).isEmpty else { return nil }
        // The right edge is what the tree grows from: it must hash to the signed root.
        guard try MerkleTree.root(treeSize: size, from: tree) == previous.rootHash else {
            throw Refusal.storedNodesDisagree(origin: origin, detail: "the right edge of \(size) entries does not hash to the last checkpoint's root")
        }
        // The last signed entry is what the next one links to: it must be the one signed.
        guard let lastBytes = try await store.entries(origin: origin, from: size - 1, count: 1).first else {
            throw Refusal.storedEntriesDisagree(origin: origin, detail: "entry \(size - 1) is missing")
        }
        let last: AuditLeaf
        do {
            try MerkleTree.verifyInclusion(
                leafHash: MerkleTree.leafHash(lastBytes), index: size - 1, treeSize: size,
                proof: lastPlan.hashes(from: tree), root: previous.rootHash
            )
            last = try AuditLeaf(decoding: lastBytes)
        } catch {
            throw Refusal.storedEntriesDisagree(origin: origin, detail: "entry \(size - 1) is not the entry the last checkpoint signed: \(error)")
        }
        return (tree, EntryChain(origin: origin, after: last))
    }

    // MARK: - Growing

    /// Reads entries `tree.treeSize ..< size`, checks their chain and their stored leaf hashes,
    /// and appends them. Leaf hashes already behind the right edge are let go page by page.
    private func append(
        origin: String, upTo size: UInt64, tree: inout MerkleNodeSet, chain: inout EntryChain, growth: inout Growth
    ) async throws {
        while tree.treeSize < size {
            let start = tree.treeSize
            let count = Int(min(UInt64(store.entriesPerPage), size - start))
            let batch = try await store.entries(origin: origin, from: start, count: count)
            guard batch.count == count else {
                throw Refusal.storedEntriesDisagree(origin: origin, detail: "entries missing from index \(start + UInt64(batch.count))")
            }
            let storedHashes = try await store.treeNodes(
                origin: origin, in: [MerkleNodeRange(level: 0, start: start, end: start + UInt64(count))]
            )
            guard storedHashes.count == count else {
                throw Refusal.storedEntriesDisagree(origin: origin, detail: "leaf hashes missing from index \(start)")
            }
            for (offset, entry) in batch.enumerated() {
                let index = start + UInt64(offset)
                let leaf: AuditLeaf
                do throws(EntryChain.Broken) {
                    leaf = try chain.acceptLeaf(entry, at: index)
                } catch {
                    throw Refusal.storedEntriesDisagree(origin: origin, detail: "entry \(error.index ?? index): \(error.reason)")
                }
                let stored = storedHashes[offset]
                guard stored.index == index, stored.hash == leaf.leafHash else {
                    throw Refusal.storedEntriesDisagree(origin: origin, detail: "entry \(index): its stored leaf hash does not match its bytes")
                }
                try learnRotation(from: leaf, origin: origin, growth: &growth)
                tree.append(leafHash: leaf.leafHash)
            }
            tree.forgetLeavesBeforeRightEdge()
        }
    }

    /// A `log.key_rotated` entry must announce the next key version with the key this signer
    /// derives for it; an announcement repeated for a version already known is let be.
    private func learnRotation(from leaf: AuditLeaf, origin: String, growth: inout Growth) throws {
        guard leaf.eventType == RotateLogKey.eventType else { return }
        let index = leaf.index
        let refuse = { (reason: String) in Refusal.keyScheduleInvalid(origin: origin, detail: "entry \(index): \(reason)") }
        guard let announcement = RotateLogKey.Announcement(payload: leaf.payload) else {
            throw refuse("a key rotation without a valid resource id, new_key_version, new_verifier_key and overlap_until_ms")
        }
        guard announcement.origin == origin else { return }  // another log's rotation, recorded in the system log
        guard try signer.verifierKey(origin: origin, version: announcement.version).description == announcement.verifierKey else {
            throw refuse("announces a key for version \(announcement.version) that is not this log's")
        }
        if announcement.version <= growth.schedule.currentVersion { return }
        let rotation = LogKeySchedule.Rotation(
            version: announcement.version, entryIndex: index, overlapUntilMs: announcement.overlapUntilMs
        )
        do {
            try growth.schedule.add(rotation)
        } catch {
            throw refuse(error.description)
        }
        growth.learned.append(rotation)
    }

    /// Fetches what `plan` needs; stored nodes that are missing now are an inconsistency.
    private func require(_ tree: inout MerkleNodeSet, origin: String, plan: MerkleProofPlan) async throws {
        let missing = try await store.fill(&tree, origin: origin, ranges: MerkleNodeSet.ranges(covering: plan.subtrees))
        guard missing.isEmpty else {
            throw Refusal.storedNodesDisagree(origin: origin, detail: "nodes missing: \(missing.map(\.description).joined(separator: ", "))")
        }
    }
}
