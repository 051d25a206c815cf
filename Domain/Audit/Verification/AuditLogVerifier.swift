/// Verifies a whole log from its raw bytes, as docs/audit-log.md §8 prescribes, trusting only
/// the pinned verifier keys (and, optionally, a checkpoint seen before). Stops at the first failure.
public struct AuditLogVerifier {
    public let trustedKeys: [NoteVerifierKey]
    public let signatureVerifier: any SignatureVerifier
    /// When set, the checkpoint's origin must be this.
    public let expectedOrigin: String?
    /// A checkpoint the auditor kept from an earlier look: the log must have only grown since.
    public let trustedCheckpointNote: String?
    /// The SHA-256 behind every leaf and node hash (the core's own unless an adapter is injected).
    public let hasher: any SHA256Hashing

    public init(
        trustedKeys: [NoteVerifierKey], signatureVerifier: any SignatureVerifier,
        expectedOrigin: String? = nil, trustedCheckpointNote: String? = nil, hasher: any SHA256Hashing = PortableSHA256()
    ) {
        self.trustedKeys = trustedKeys
        self.signatureVerifier = signatureVerifier
        self.expectedOrigin = expectedOrigin
        self.trustedCheckpointNote = trustedCheckpointNote
        self.hasher = hasher
    }

    public func verify(_ source: some AuditLogSource) -> AuditVerificationReport {
        var report = AuditVerificationReport()
        guard let checkpoint = verifiedCheckpoint(source, &report) else { return report }
        report.origin = checkpoint.origin
        report.size = checkpoint.size
        guard let levels = verifiedEntries(source, checkpoint, &report) else { return report }
        guard verifiedRoot(levels, checkpoint, &report) else { return report }
        verifyTrustedCheckpoint(levels, checkpoint, &report)
        if report.failure == nil { verifyTiles(source, levels, checkpoint, &report) }
        return report
    }

    // MARK: Steps 1-2: the checkpoint

    private func verifiedCheckpoint(_ source: some AuditLogSource, _ report: inout AuditVerificationReport) -> Checkpoint? {
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: try source.checkpointNote())
            let keys = try note.verify(trusting: trustedKeys, with: signatureVerifier)
            report.pass("checkpoint signature", "verified by " + keys.map(\.description).joined(separator: ", "))
            checkpoint = try Checkpoint(parsing: note.text)
        } catch let error as NoteError {
            report.fail("checkpoint signature", "\(error)")
            return nil
        } catch {
            report.fail("checkpoint signature", "checkpoint unreadable: \(error)")
            return nil
        }
        if let expectedOrigin, checkpoint.origin != expectedOrigin {
            report.fail("checkpoint origin", "is \(checkpoint.origin), expected \(expectedOrigin)")
            return nil
        }
        report.pass("checkpoint origin", checkpoint.origin)
        return checkpoint
    }

    // MARK: Steps 3-4: every entry

    /// Bundles are read in batches, in order, and each batch's bundles are split, checked entry by
    /// entry and hashed side by side (`BundleCheck`); then the batch's entries are linked in order,
    /// so that the first failure is the one reported, exactly as when checking one entry at a time.
    /// A batch is at most this many bundles…
    static let batchBundlesMax = 16
    /// …and stops growing once it holds this many bytes (a bundle is at most 256 × 65,537 bytes).
    static let batchBytesMax = 4 << 20

    private func verifiedEntries(
        _ source: some AuditLogSource, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport
    ) -> VerifiedTree? {
        var chain = EntryChain(origin: checkpoint.origin)
        var tree = VerifiedTree(hasher: hasher)
        let origin = Array(checkpoint.origin.utf8)
        let bundleCount = (checkpoint.size + UInt64(TilePath.width) - 1) / UInt64(TilePath.width)
        var nextBundle: UInt64 = 0
        while nextBundle < bundleCount {
            var reads: [BundleCheck.Read] = []
            var batchBytes = 0
            while nextBundle < bundleCount, reads.count < Self.batchBundlesMax, batchBytes < Self.batchBytesMax {
                let first = nextBundle * UInt64(TilePath.width)
                let width = Int(min(UInt64(TilePath.width), checkpoint.size - first))
                let read = BundleCheck.Read(bundle: nextBundle, first: first, width: width) {
                    try source.entryBundle(index: nextBundle, width: width)
                }
                reads.append(read)
                nextBundle += 1
                guard case .success(let bytes) = read.bytes else {
                    nextBundle = bundleCount  // nothing after an unreadable bundle is looked at
                    break
                }
                batchBytes += bytes.count
            }
            for check in BundleCheck.checkAll(reads, origin: origin, hasher: hasher) {
                guard link(check, &chain, &tree, &report) else { return nil }
            }
        }
        report.pass("entries", "\(checkpoint.size) entries: indices, origins, hash chain, times and canonical payloads hold")
        return tree
    }

    /// Links one checked bundle's entries to the log so far, in order; false at the first failure.
    private func link(
        _ check: BundleCheck, _ chain: inout EntryChain, _ tree: inout VerifiedTree, _ report: inout AuditVerificationReport
    ) -> Bool {
        if let unreadable = check.unreadable {
            report.fail("entries", index: check.first, "entry bundle \(check.bundle) unreadable: \(unreadable)")
            return false
        }
        // Entries first, so that a deleted or inserted entry is named where it breaks the
        // sequence rather than at the end of its bundle.
        let linked: Bool = check.bytes.withUnsafeBytes { raw in
            for (offset, range) in check.entries.prefix(check.width).enumerated() {
                let index = check.first + UInt64(offset)
                do throws(EntryChain.Broken) {
                    try chain.link(
                        check.prechecked[offset], UnsafeRawBufferPointer(rebasing: raw[range]),
                        leafHash: check.levels[0][offset], at: index
                    )
                } catch {
                    report.fail(error.check, index: error.index ?? index, error.reason)
                    return false
                }
                report.entryBytesVerified += UInt64(range.count)
            }
            return true
        }
        guard linked else { return false }
        guard check.entries.count == check.width else {
            let bad = check.first + UInt64(min(check.entries.count, check.width))
            report.fail("entries", index: bad, "bundle \(check.bundle) holds \(check.entries.count) entries, the checkpoint needs \(check.width)")
            return false
        }
        report.entriesVerified = check.first + UInt64(check.width)
        tree.append(bundleLevels: check.levels)
        return true
    }

    // MARK: Steps 5-6: the root and the trusted checkpoint

    private func verifiedRoot(_ levels: VerifiedTree, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport) -> Bool {
        let root = (try? MerkleTree.root(treeSize: checkpoint.size, from: levels)) ?? []
        guard root == checkpoint.rootHash else {
            // Every entry but the last is pinned by its successor's link, and the checkpoint is
            // signed: with the chain intact, only the last entry can differ from what was signed.
            report.fail("root", index: checkpoint.size > 0 ? checkpoint.size - 1 : nil,
                        "the entries hash to a different root than the signed checkpoint's")
            return false
        }
        report.pass("root", "recomputed root equals the checkpoint's")
        return true
    }

    private func verifyTrustedCheckpoint(_ levels: VerifiedTree, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport) {
        guard let trustedCheckpointNote else {
            report.skip("consistency", "no trusted checkpoint given")
            return
        }
        do {
            let note = try SignedNote(parsing: trustedCheckpointNote)
            try note.verify(trusting: trustedKeys, with: signatureVerifier)
            let trusted = try Checkpoint(parsing: note.text)
            guard trusted.origin == checkpoint.origin else {
                report.fail("consistency", "the trusted checkpoint is of another log (\(trusted.origin))")
                return
            }
            guard trusted.size <= checkpoint.size else {
                report.fail("consistency", "the trusted checkpoint (size \(trusted.size)) is larger than this log (\(checkpoint.size))")
                return
            }
            guard trusted.size > 0 else {
                report.skip("consistency", "the trusted checkpoint is of the empty log: nothing to compare")
                return
            }
            let proof = try MerkleTree.consistencyProof(size1: trusted.size, size2: checkpoint.size, from: levels)
            try MerkleTree.verifyConsistency(
                size1: trusted.size, size2: checkpoint.size, root1: trusted.rootHash, root2: checkpoint.rootHash, proof: proof
            )
            report.pass("consistency", "consistent with the trusted checkpoint of size \(trusted.size)")
        } catch {
            report.fail("consistency", "\(error)")
        }
    }

    // MARK: Tiles (exports only)

    private func verifyTiles(
        _ source: some AuditLogSource, _ levels: VerifiedTree, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport
    ) {
        var checked = 0
        for tile in TilePath.tiles(forTreeSize: checkpoint.size) {
            do {
                guard let stored = try source.tile(level: tile.level, index: tile.index, width: tile.width) else {
                    report.skip("tiles", "the source holds no tiles")
                    return
                }
                guard levels.tileMatches(level: tile.level, index: tile.index, width: tile.width, stored: stored) else {
                    let path = TilePath.tile(level: tile.level, index: tile.index, partialWidth: tile.width == TilePath.width ? nil : tile.width)
                    report.fail("tiles", "\(path) does not match the hashes of the entries")
                    return
                }
                checked += 1
            } catch {
                report.fail("tiles", "\(error)")
                return
            }
        }
        report.pass("tiles", "\(checked) tiles match the entries")
    }
}
