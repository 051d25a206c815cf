import Domain
import Testing

/// Stored-level Merkle nodes (levels 0, 8, 16): proofs and roots from a few hundred fetched
/// nodes, and incremental growth from a right edge, both checked against `MerkleLevels`, which
/// holds every level in memory.
@Suite("Merkle node set")
struct MerkleNodeSetTests {
    /// A full level-16 subtree and a ragged tail: every stored level is exercised.
    static let leafCount = 65_536 + 2_900
    static let leafHashes: [[UInt8]] = (0..<leafCount).map { MerkleTree.leafHash([UInt8($0 & 0xff), UInt8($0 >> 8 & 0xff), UInt8($0 >> 16)]) }
    static let reference = MerkleLevels(leafHashes: leafHashes)

    /// What storage would hold for a tree of `treeSize`: every complete node of a stored level.
    static func fetch(_ ranges: [MerkleNodeRange], treeSize: UInt64, into set: inout MerkleNodeSet) {
        for range in ranges {
            for index in range.start..<range.end where (index + 1) << range.level <= treeSize {
                set.insert(MerkleNode(level: range.level, index: index, hash: reference.hash(level: range.level, index: index)))
            }
        }
    }

    @Test("proofs from fetched stored nodes equal proofs from every level")
    func proofsFromStoredNodes() throws {
        var random = SplitMix64(seed: 0x4e0de)
        let sizes: [UInt64] = [1, 2, 255, 256, 257, 65_535, 65_536, 65_537, UInt64(Self.leafCount)]
            + (0..<40).map { _ in UInt64.random(in: 1...UInt64(Self.leafCount), using: &random) }
        for size in sizes {
            let index = UInt64.random(in: 0..<size, using: &random)
            let inclusion = try MerkleTree.inclusionPlan(index: index, treeSize: size)
            var set = MerkleNodeSet(treeSize: size)
            let ranges = MerkleNodeSet.ranges(covering: inclusion.subtrees)
            #expect(!set.missing(ranges).isEmpty || ranges.isEmpty)
            Self.fetch(ranges, treeSize: size, into: &set)
            #expect(set.missing(ranges).isEmpty, "size \(size): every node of the plan is stored")
            #expect(inclusion.hashes(from: set) == (try MerkleTree.inclusionProof(index: index, treeSize: size, from: Self.reference)))

            let from = UInt64.random(in: 1...size, using: &random)
            let consistency = try MerkleTree.consistencyPlan(size1: from, size2: size)
            var other = MerkleNodeSet(treeSize: size)
            Self.fetch(MerkleNodeSet.ranges(covering: consistency.subtrees), treeSize: size, into: &other)
            #expect(consistency.hashes(from: other) == (try MerkleTree.consistencyProof(size1: from, size2: size, from: Self.reference)))
        }
    }

    @Test("a proof needs a bounded number of stored nodes, whatever the tree size")
    func proofsReadFewNodes() throws {
        for size: UInt64 in [1_000_000, 1 << 40 + 12_345, UInt64(Int64.max)] {
            let plans = [
                try MerkleTree.inclusionPlan(index: size / 3, treeSize: size),
                try MerkleTree.consistencyPlan(size1: size / 2 + 1, size2: size),
            ]
            for plan in plans {
                let nodes = MerkleNodeSet.ranges(covering: plan.subtrees).reduce(0) { $0 + $1.count }
                // At most 255 nodes per stored level for an inclusion proof, and one more tile's
                // worth for the consistency proof's extra old-tree subtree.
                #expect(nodes <= 2 * 255 * (MerkleNodeSet.storedLevelMax / MerkleNodeSet.stride + 1), "size \(size): \(nodes) nodes")
            }
        }
    }

    @Test("the right edge hashes to the root and grows the tree exactly as rebuilding it would")
    func incrementalGrowthMatchesTheReference() throws {
        var random = SplitMix64(seed: 0x97_0_77)
        var size: UInt64 = 0
        var set = MerkleNodeSet(treeSize: 0)
        var appendedAll: [MerkleNode] = []
        while size < UInt64(Self.leafCount) {
            // Start over from what storage would hold: the right edge only.
            var resumed = MerkleNodeSet(treeSize: size)
            Self.fetch(MerkleNodeSet.rightEdge(treeSize: size), treeSize: size, into: &resumed)
            #expect(resumed.missing(MerkleNodeSet.rightEdge(treeSize: size)).isEmpty)
            #expect(try MerkleTree.root(treeSize: size, from: resumed) == (try MerkleTree.root(treeSize: size, from: Self.reference)))
            set = resumed
            let step = [1, 3, 255, 256, 257, 1_000, 20_000].randomElement(using: &random)!
            for leaf in Self.leafHashes[Int(size)..<min(Self.leafCount, Int(size) + step)] { set.append(leafHash: leaf) }
            set.forgetLeavesBeforeRightEdge()
            size = set.treeSize
            #expect(try MerkleTree.root(treeSize: size, from: set) == (try MerkleTree.root(treeSize: size, from: Self.reference)))
            appendedAll += set.appended
        }
        // Every node of levels 8 and 16 was made exactly once, with the reference's hash.
        let expected = [8, 16].flatMap { level in
            (0..<(UInt64(Self.leafCount) >> level)).map { MerkleNode(level: level, index: $0, hash: Self.reference.hash(level: level, index: $0)) }
        }
        #expect(Set(appendedAll) == Set(expected))
        #expect(appendedAll.count == expected.count)
    }

    @Test("missing parts of ranges are reported as ranges")
    func missingRanges() {
        var set = MerkleNodeSet(treeSize: 1_000)
        for index: UInt64 in [2, 3, 7] { set.insert(MerkleNode(level: 0, index: index, hash: Self.leafHashes[Int(index)])) }
        #expect(set.missing([MerkleNodeRange(level: 0, start: 0, end: 9)]) == [
            MerkleNodeRange(level: 0, start: 0, end: 2), MerkleNodeRange(level: 0, start: 4, end: 7), MerkleNodeRange(level: 0, start: 8, end: 9),
        ])
        #expect(MerkleNodeSet.rightEdge(treeSize: 0).isEmpty)
        #expect(MerkleNodeSet.rightEdge(treeSize: 65_536 + 300) == [
            MerkleNodeRange(level: 0, start: 65_536 + 256, end: 65_536 + 300), MerkleNodeRange(level: 8, start: 256, end: 257),
            MerkleNodeRange(level: 16, start: 0, end: 1),
        ])
    }
}
