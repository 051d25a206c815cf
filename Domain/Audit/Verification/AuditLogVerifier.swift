/// Verifies a whole log from its raw bytes, as docs/audit-log.md §8 prescribes, trusting only
/// the pinned verifier keys (and, optionally, a checkpoint seen before). Stops at the first failure.
public struct AuditLogVerifier {
    public let trustedKeys: [NoteVerifierKey]
    public let signatureVerifier: any SignatureVerifier
    /// When set, the checkpoint's origin must be this.
    public let expectedOrigin: String?
    /// A checkpoint the auditor kept from an earlier look: the log must have only grown since.
    public let trustedCheckpointNote: String?

    public init(
        trustedKeys: [NoteVerifierKey], signatureVerifier: any SignatureVerifier,
        expectedOrigin: String? = nil, trustedCheckpointNote: String? = nil
    ) {
        self.trustedKeys = trustedKeys
        self.signatureVerifier = signatureVerifier
        self.expectedOrigin = expectedOrigin
        self.trustedCheckpointNote = trustedCheckpointNote
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

    private func verifiedEntries(
        _ source: some AuditLogSource, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport
    ) -> MerkleLevels? {
        var chain = EntryChain(origin: checkpoint.origin)
        var levels = MerkleLevels()
        let bundleCount = (checkpoint.size + UInt64(TilePath.width) - 1) / UInt64(TilePath.width)
        for bundle in 0..<bundleCount {
            let first = bundle * UInt64(TilePath.width)
            let width = Int(min(UInt64(TilePath.width), checkpoint.size - first))
            let entries: [[UInt8]]
            do {
                entries = try EntryBundle.decode(try source.entryBundle(index: bundle, width: width))
            } catch {
                report.fail("entries", index: first, "entry bundle \(bundle) unreadable: \(error)")
                return nil
            }
            // Entries first, so that a deleted or inserted entry is named where it breaks the
            // sequence rather than at the end of its bundle.
            for (offset, bytes) in entries.prefix(width).enumerated() {
                let index = first + UInt64(offset)
                do throws(EntryChain.Broken) {
                    levels.append(leafHash: try chain.accept(bytes, at: index))
                } catch {
                    report.fail(error.check, index: error.index ?? index, error.reason)
                    return nil
                }
                report.entryBytesVerified += UInt64(bytes.count)
            }
            guard entries.count == width else {
                let bad = first + UInt64(min(entries.count, width))
                report.fail("entries", index: bad, "bundle \(bundle) holds \(entries.count) entries, the checkpoint needs \(width)")
                return nil
            }
            report.entriesVerified = first + UInt64(width)
        }
        report.pass("entries", "\(checkpoint.size) entries: indices, origins, hash chain, times and canonical payloads hold")
        return levels
    }

    // MARK: Steps 5-6: the root and the trusted checkpoint

    private func verifiedRoot(_ levels: MerkleLevels, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport) -> Bool {
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

    private func verifyTrustedCheckpoint(_ levels: MerkleLevels, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport) {
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
        _ source: some AuditLogSource, _ levels: MerkleLevels, _ checkpoint: Checkpoint, _ report: inout AuditVerificationReport
    ) {
        var checked = 0
        for tile in TilePath.tiles(forTreeSize: checkpoint.size) {
            let expected = TiledLogExport.tileBytes(level: tile.level, index: tile.index, width: tile.width, from: levels)
            do {
                guard let stored = try source.tile(level: tile.level, index: tile.index, width: tile.width) else {
                    report.skip("tiles", "the source holds no tiles")
                    return
                }
                guard stored == expected else {
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
