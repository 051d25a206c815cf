@testable import Domain
import Foundation
import Testing

/// The verifier's fast path (entries read in place, checked side by side, hashed into inline
/// digests) against the reference path it replaced: `AuditLeaf(decoding:)`, `EntryBundle.decode`,
/// `EntryChain.accept` one entry at a time, `MerkleLevels`, `TiledLogExport.tileBytes`.
@Suite struct VerifierFastPathTests {
    // MARK: SHA-256

    @Test func portableDigestEqualsTheArrayHashAtEveryLengthAndSplit() {
        var random = SplitMix64(seed: 256)
        for length in 0...300 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let prefix = UInt8.random(in: 0...255, using: &random)
            let expected = SHA256.hash([prefix] + message)
            #expect(message.withUnsafeBytes { PortableSHA256().digest(prefix: prefix, $0) }.bytes == expected, "length \(length)")
            var hasher = SHA256()
            var rest = message[...]
            while !rest.isEmpty {
                let take = Int.random(in: 1...70, using: &random)
                hasher.update(rest.prefix(take))
                rest = rest.dropFirst(take)
            }
            #expect(hasher.finalizeDigest().bytes == SHA256.hash(message), "length \(length)")
        }
    }

    @Test func treeHashesOverTheHashingPortEqualMerkleTree() {
        let left = SHA256.hash([1])
        let right = SHA256.hash([2])
        let entry: [UInt8] = Array("an entry".utf8)
        let hasher = PortableSHA256()
        #expect(hasher.nodeHash(SHA256Digest(left)!, SHA256Digest(right)!).bytes == MerkleTree.nodeHash(left, right))
        #expect(entry.withUnsafeBytes { hasher.leafHash($0) }.bytes == MerkleTree.leafHash(entry))
        #expect(MerkleTree.leafHash(entry) == SHA256.hash([0] + entry))
        #expect(MerkleTree.nodeHash(left, right) == SHA256.hash([1] + left + right))
        #expect(MerkleTree.nodeHash([7], [8, 9]) == SHA256.hash([1, 7, 8, 9]), "short children take the general path")
    }

    // MARK: Entries read in place

    @Test func theInPlaceReaderAcceptsExactlyWhatDecodingAccepts() {
        var log = LogFixture()
        log.append(count: 40)
        var random = SplitMix64(seed: 3)
        var acceptedCount = 0
        for round in 0..<4_000 {
            var bytes = log.entries[round % log.entries.count]
            for _ in 0...Int.random(in: 0...2, using: &random) { bytes = RandomJSON.edit(bytes, &random) }
            if round % 7 == 0 { bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            let decoded = try? AuditLeaf(decoding: bytes)
            bytes.withUnsafeBytes { raw in
                let view = AuditLeaf.View(raw)
                #expect((view != nil) == (decoded != nil), "\(bytes)")
                guard let view, let decoded else { return }
                acceptedCount += 1
                #expect(Array(view[view.origin]) == Array(decoded.origin.utf8))
                #expect(view.index == decoded.index && view.timestampMs == decoded.timestampMs)
                #expect(view.previousLeafHash.bytes == decoded.previousLeafHash)
                #expect(Array(view[view.eventType]) == Array(decoded.eventType.utf8))
                #expect(Array(view[view.actor]) == Array(decoded.actor.utf8))
                #expect(Array(view[view.payload]) == decoded.payload)
                #expect(decoded.encoded == bytes)
            }
        }
        #expect(acceptedCount > 400)
    }

    @Test func eventTypesAreJudgedAlikeFromBytes() {
        var random = SplitMix64(seed: 4)
        let alphabet = Array("ab.z_09.A-é".unicodeScalars)
        for _ in 0..<5_000 {
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! }))
            let fromBytes = Array(text.utf8).withUnsafeBytes { AuditLeaf.isValidEventType($0) }
            #expect(fromBytes == AuditLeaf.isValidEventType(text), "\(text)")
        }
        #expect(Array("transaction.recorded".utf8).withUnsafeBytes { AuditLeaf.isValidEventType($0) })
    }

    @Test func splittingABundleInPlaceEqualsDecodingIt() {
        var random = SplitMix64(seed: 5)
        for _ in 0..<2_000 {
            let entries = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            var bytes = try! EntryBundle.encode(entries)
            if !bytes.isEmpty && Bool.random(using: &random) { bytes = RandomJSON.edit(bytes, &random) }
            let decoded = Result { () throws(EntryBundle.DecodingError) in try EntryBundle.decode(bytes) }
            let split = Result { () throws(EntryBundle.DecodingError) in try EntryBundle.split(bytes) }
            switch (decoded, split) {
            case let (.success(whole), .success(ranges)): #expect(whole == ranges.map { Array(bytes[$0]) })
            case let (.failure(left), .failure(right)): #expect(left == right)
            default: Issue.record("decode and split disagree on \(bytes)")
            }
        }
    }

    // MARK: The tree

    @Test(arguments: [0, 1, 2, 255, 256, 257, 511, 512, 513, 1_000, 1_024 + 3 * 256 + 5])
    func theVerifiedTreeHoldsWhatMerkleLevelsHolds(size: Int) throws {
        let leaves = (0..<size).map { SHA256.hash(Array("leaf \($0)".utf8)) }
        let reference = MerkleLevels(leafHashes: leaves)
        var tree = VerifiedTree(hasher: PortableSHA256())
        for start in stride(from: 0, to: size, by: TilePath.width) {
            let bundle = leaves[start..<min(size, start + TilePath.width)].map { SHA256Digest($0)! }
            tree.append(bundleLevels: VerifiedTree.bundleLevels(leaves: bundle, hasher: PortableSHA256()))
        }
        #expect(tree.treeSize == UInt64(size))
        for level in 0..<12 {
            for index in 0..<(UInt64(size) >> level) {
                #expect(tree.hash(level: level, index: index) == reference.hash(level: level, index: index))
            }
        }
        #expect(try MerkleTree.root(treeSize: UInt64(size), from: tree) == MerkleTree.root(leafHashes: leaves))
        for tile in TilePath.tiles(forTreeSize: UInt64(size)) {
            var bytes = TiledLogExport.tileBytes(level: tile.level, index: tile.index, width: tile.width, from: reference)
            #expect(tree.tileMatches(level: tile.level, index: tile.index, width: tile.width, stored: bytes))
            bytes[bytes.count - 1] ^= 1
            #expect(!tree.tileMatches(level: tile.level, index: tile.index, width: tile.width, stored: bytes))
            #expect(!tree.tileMatches(level: tile.level, index: tile.index, width: tile.width, stored: bytes.dropLast()))
        }
    }

    // MARK: The whole verifier

    static let size = 600

    /// Steps 3 and 4 as the verifier did them before: each bundle decoded whole, then each entry
    /// through `EntryChain.accept`, in order. The first failure, or nil.
    static func referenceEntriesFailure(_ export: MemoryExport, _ log: LogFixture) -> AuditVerificationReport.Failure? {
        var chain = EntryChain(origin: log.origin)
        let size = UInt64(log.entries.count)
        for bundle in 0..<((size + 255) / 256) {
            let first = bundle * 256
            let width = Int(min(256, size - first))
            let entries: [[UInt8]]
            do {
                entries = try EntryBundle.decode(try export.entryBundle(index: bundle, width: width))
            } catch {
                return .init(check: "entries", index: first, reason: "entry bundle \(bundle) unreadable: \(error)")
            }
            for (offset, bytes) in entries.prefix(width).enumerated() {
                let index = first + UInt64(offset)
                do throws(EntryChain.Broken) {
                    _ = try chain.accept(bytes, at: index)
                } catch {
                    return .init(check: error.check, index: error.index ?? index, reason: error.reason)
                }
            }
            guard entries.count == width else {
                return .init(check: "entries", index: first + UInt64(min(entries.count, width)),
                             reason: "bundle \(bundle) holds \(entries.count) entries, the checkpoint needs \(width)")
            }
        }
        return nil
    }

    func verify(_ export: MemoryExport, _ log: LogFixture, hasher: any SHA256Hashing = PortableSHA256()) -> AuditVerificationReport {
        AuditLogVerifier(trustedKeys: [log.key], signatureVerifier: FakeSignatures(), expectedOrigin: log.origin, hasher: hasher)
            .verify(export)
    }

    /// Random edits anywhere in the entry bundles: the verifier names the same first failure,
    /// check, index and reason, as the one-entry-at-a-time reference.
    @Test func randomTamperingIsNamedAsTheReferenceNamesIt() {
        var log = LogFixture()
        log.append(count: Self.size)
        let files = log.files()
        let bundlePaths = files.keys.filter { $0.hasPrefix("tile/entries/") }.sorted()
        var random = SplitMix64(seed: 6)
        var entryFailures = 0
        for _ in 0..<150 {
            var export = MemoryExport(files: files)
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                let path = bundlePaths.randomElement(using: &random)!
                export.files[path] = RandomJSON.edit(export.files[path]!, &random)
            }
            let report = verify(export, log)
            if let expected = Self.referenceEntriesFailure(export, log) {
                #expect(report.failure == expected)
                entryFailures += 1
            } else {
                #expect(report.failure.map { ["root", "tiles"].contains($0.check) } ?? true, "\(report.failure.map(\.description) ?? "")")
            }
        }
        #expect(entryFailures > 100)
    }

    @Test func theInjectedHasherIsTheOneUsed() {
        var log = LogFixture()
        log.append(count: Self.size)
        let export = MemoryExport(files: log.files())
        let counting = CountingHasher()
        let report = verify(export, log, hasher: counting)
        #expect(report.verified)
        #expect(report == verify(export, log))
        // Every leaf, and every node of a perfect subtree (the root's few joins go through MerkleTree).
        let perfectNodes = (1..<10).map { Self.size >> $0 }.reduce(0, +)
        #expect(counting.count == UInt64(Self.size + perfectNodes))
        // A hasher that disagrees with SHA-256 breaks the very first link.
        let wrong = verify(export, log, hasher: WrongHasher())
        #expect(wrong.failure?.check == "hash chain")
        #expect(wrong.failure?.index == 0)
    }
}

/// The core's hasher, counting its calls.
final class CountingHasher: SHA256Hashing, @unchecked Sendable {  // `count` only under `lock`
    private let lock = NSLock()
    private var calls: UInt64 = 0
    var count: UInt64 { lock.withLock { calls } }

    func digest(prefix: UInt8, _ message: UnsafeRawBufferPointer) -> SHA256Digest {
        lock.withLock { calls += 1 }
        return PortableSHA256().digest(prefix: prefix, message)
    }
}

/// SHA-256 of a different message: what a broken adapter would give.
struct WrongHasher: SHA256Hashing {
    func digest(prefix: UInt8, _ message: UnsafeRawBufferPointer) -> SHA256Digest {
        PortableSHA256().digest(prefix: prefix ^ 0xFF, message)
    }
}
