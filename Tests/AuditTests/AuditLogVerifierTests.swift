import Domain
import Testing

/// The verifier of docs/audit-log.md §8 against an intact log and against each way of tampering
/// with one; every tampering must be caught, naming the first bad entry or the checkpoint.
@Suite struct AuditLogVerifierTests {
    static let size = 600  // two full entry bundles and a partial one of 88

    func fixture() -> LogFixture {
        var log = LogFixture()
        log.append(count: Self.size)
        return log
    }

    func verify(_ export: MemoryExport, _ log: LogFixture, trusted: String? = nil) -> AuditVerificationReport {
        AuditLogVerifier(
            trustedKeys: [log.key], signatureVerifier: FakeSignatures(), expectedOrigin: log.origin,
            trustedCheckpointNote: trusted
        ).verify(export)
    }

    /// Replaces entry `index` with the same entry whose payload's first digit changed: still canonical JSON.
    func alteredPayload(_ entry: [UInt8]) -> [UInt8] {
        let leaf = try! AuditLeaf(decoding: entry)
        var payload = leaf.payload
        let digit = payload.firstIndex { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "8") }!
        payload[digit] += 1
        return try! AuditLeaf(
            origin: leaf.origin, index: leaf.index, timestampMs: leaf.timestampMs, previousLeafHash: leaf.previousLeafHash,
            eventType: leaf.eventType, actor: leaf.actor, payload: payload
        ).encoded
    }

    @Test func anIntactLogVerifiesEveryStep() {
        let log = fixture()
        let report = verify(MemoryExport(files: log.files()), log)
        #expect(report.verified, "\(report.failure.map(\.description) ?? "")")
        #expect(report.entriesVerified == UInt64(Self.size))
        #expect(report.checks.map(\.name) == ["checkpoint signature", "checkpoint origin", "entries", "root", "consistency", "tiles"])
        #expect(report.checks.first { $0.name == "tiles" }?.status == .passed)
    }

    @Test func anEmptyLogVerifies() {
        let log = LogFixture()
        #expect(verify(MemoryExport(files: log.files()), log).verified)
    }

    @Test(arguments: [0, 17, 255, 256, 300])
    func oneChangedPayloadByteIsNamed(index: Int) {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: index, size: Self.size) { entries, offset in entries[offset] = alteredPayload(entries[offset]) }
        let failure = verify(export, log).failure
        #expect(failure?.index == UInt64(index))
        #expect(failure?.check == "hash chain")
    }

    @Test func aChangedLastEntryIsNamedThroughTheRoot() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: Self.size - 1, size: Self.size) { entries, offset in entries[offset] = alteredPayload(entries[offset]) }
        let failure = verify(export, log).failure
        #expect(failure?.check == "root")
        #expect(failure?.index == UInt64(Self.size - 1))
    }

    @Test func aNonCanonicalPayloadIsNamed() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: 42, size: Self.size) { entries, offset in
            let leaf = try! AuditLeaf(decoding: entries[offset])
            entries[offset] = try! AuditLeaf(
                origin: leaf.origin, index: leaf.index, timestampMs: leaf.timestampMs, previousLeafHash: leaf.previousLeafHash,
                eventType: leaf.eventType, actor: leaf.actor, payload: Array(" ".utf8) + leaf.payload
            ).encoded
        }
        let failure = verify(export, log).failure
        #expect(failure?.check == "payload")
        #expect(failure?.index == 42)
    }

    @Test func aDeletedEntryIsNamed() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: 100, size: Self.size) { entries, offset in entries.remove(at: offset) }
        let failure = verify(export, log).failure
        #expect(failure?.index == 100)
        #expect(failure?.check == "entry index")
    }

    @Test func swappedEntriesAreNamed() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: 10, size: Self.size) { entries, offset in entries.swapAt(offset, offset + 5) }
        #expect(verify(export, log).failure?.index == 10)
    }

    @Test func aTruncatedTailIsNamed() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: Self.size - 1, size: Self.size) { entries, _ in entries.removeLast(10) }
        let failure = verify(export, log).failure
        #expect(failure?.check == "entries")
        #expect(failure?.index == UInt64(Self.size - 10))
    }

    /// A forger who links the forged entry correctly still breaks the next link.
    @Test func aForgedEntryIsNamed() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: 200, size: Self.size) { entries, offset in
            let leaf = try! AuditLeaf(decoding: entries[offset])
            entries[offset] = try! AuditLeaf(
                origin: leaf.origin, index: leaf.index, timestampMs: leaf.timestampMs, previousLeafHash: leaf.previousLeafHash,
                eventType: "transaction.recorded", actor: "intruder", payload: Array(#"{"outcome":"success"}"#.utf8)
            ).encoded
        }
        #expect(verify(export, log).failure?.index == 200)
    }

    @Test func anEntryFromAnotherLogIsNamed() {
        let log = fixture()
        var other = LogFixture(origin: "custos.localhost/audit/0b000000-0000-4000-8000-00000000000b")
        other.append(count: 10)
        var export = MemoryExport(files: log.files())
        export.editBundle(holding: 5, size: Self.size) { entries, offset in entries[offset] = other.entries[5] }
        let failure = verify(export, log).failure
        #expect(failure?.check == "entry origin")
        #expect(failure?.index == 5)
    }

    @Test func aReplacedOrReSignedCheckpointIsRejected() {
        let log = fixture()
        var replaced = MemoryExport(files: log.files())
        replaced.files["checkpoint"] = Array(log.checkpointNote(size: 10).replacingOccurrences(of: "\n10\n", with: "\n600\n").utf8)
        #expect(verify(replaced, log).failure?.check == "checkpoint signature")
        var foreign = MemoryExport(files: log.files())
        foreign.files["checkpoint"] = Array(log.checkpointNote(signingKey: SHA256.hash([99])).utf8)
        #expect(verify(foreign, log).failure?.reason == "no signature by a trusted key")
    }

    @Test func consistencyWithATrustedCheckpoint() {
        let log = fixture()
        let export = MemoryExport(files: log.files())
        #expect(verify(export, log, trusted: log.checkpointNote(size: 100)).checks.contains { $0.name == "consistency" && $0.status == .passed })
        // A fork: another history under the same origin and key (different times from entry 0);
        // a checkpoint the auditor kept from it cannot be consistent with this log.
        var original = LogFixture()
        original.append(count: 100, startMs: 1)
        let failure = verify(export, log, trusted: original.checkpointNote()).failure
        #expect(failure?.check == "consistency")
    }

    @Test func aTamperedTileIsCaught() {
        let log = fixture()
        var export = MemoryExport(files: log.files())
        export.files["tile/0/001"]![0] ^= 1
        #expect(verify(export, log).failure?.check == "tiles")
    }

    @Test func tlogProofsRoundTripAndVerify() throws {
        let log = fixture()
        var levels = MerkleLevels()
        for entry in log.entries { levels.append(leafHash: MerkleTree.leafHash(entry)) }
        let proof = TlogProof(
            index: 321, inclusionProof: try MerkleTree.inclusionProof(index: 321, treeSize: UInt64(Self.size), from: levels),
            checkpoint: try SignedNote(parsing: log.checkpointNote())
        )
        let parsed = try TlogProof(parsing: proof.encoded)
        #expect(parsed == proof)
        let checkpoint = try parsed.verify(leafHash: MerkleTree.leafHash(log.entries[321]), trusting: [log.key], with: FakeSignatures())
        #expect(checkpoint.size == UInt64(Self.size))
        #expect(throws: MerkleProofError.self) {
            try parsed.verify(leafHash: MerkleTree.leafHash(log.entries[322]), trusting: [log.key], with: FakeSignatures())
        }
    }
}
