import Domain
import Testing

/// Known answers, and generated proofs for every index and size pair of trees up to 70 leaves,
/// checked against a direct transcription of RFC 9162's recursive definitions.
@Suite("Merkle tree math")
struct MerkleTreeTests {
    static let leafCountMax = 70

    /// Leaf hashes of the leaves `[0]`, `[1]`, … `[69]`.
    static let leafHashes: [[UInt8]] = (0..<leafCountMax).map { MerkleTree.leafHash([UInt8($0)]) }

    /// All 70 leaves; proofs for smaller trees read a prefix of it, as a growing log does.
    static let levels = MerkleLevels(leafHashes: leafHashes)

    // MARK: - Known answers

    @Test("RFC 6962 hashing known answers (transparency-dev/merkle rfc6962 tests)")
    func hashingKnownAnswers() {
        #expect(MerkleTree.emptyRoot.hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleTree.root(leafHashes: []) == MerkleTree.emptyRoot)
        #expect(MerkleTree.leafHash([UInt8]()).hexString == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        #expect(MerkleTree.leafHash("L123456".utf8).hexString == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
        #expect(
            MerkleTree.nodeHash(Array("N123".utf8), Array("N456".utf8)).hexString
                == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
        )
    }

    @Test("roots of the 8-leaf RFC 6962 reference tree at every size")
    func referenceTreeRoots() throws {
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        let leafHashes = MerkleConformanceTests.referenceLeaves.map { MerkleTree.leafHash($0) }
        let levels = MerkleLevels(leafHashes: leafHashes)
        for size in 0...8 {
            #expect(MerkleTree.root(leafHashes: Array(leafHashes.prefix(size))).hexString == roots[size], "size \(size)")
            #expect(try MerkleTree.root(treeSize: UInt64(size), from: levels).hexString == roots[size], "size \(size)")
        }
    }

    // MARK: - Roots

    @Test("root from perfect subtrees equals the recursive MTH for 0…70 leaves, with O(log n) lookups")
    func rootsFromSubtrees() throws {
        for size in 0...Self.leafCountMax {
            let expected = MerkleTree.root(leafHashes: Array(Self.leafHashes.prefix(size)))
            let counting = CountingSubtreeHashes(Self.levels)
            #expect(try MerkleTree.root(treeSize: UInt64(size), from: counting) == expected, "size \(size)")
            #expect(counting.lookupCount == UInt64(size).nonzeroBitCount, "size \(size)")
            let exact = MerkleLevels(leafHashes: Array(Self.leafHashes.prefix(size)))
            #expect(exact.treeSize == UInt64(size))
            #expect(try MerkleTree.root(treeSize: UInt64(size), from: exact) == expected, "size \(size)")
        }
    }

    // MARK: - Inclusion

    /// One case per tree size, so that sizes run in parallel and a failure names its size.
    @Test("inclusion proofs for every index: RFC PATH, verified, and altered copies rejected",
          arguments: 1...leafCountMax)
    func inclusionProofsForEveryIndex(size: Int) throws {
        let reference = ReferenceTree(leafHashes: Self.leafHashes)
        let root = reference.mth(0..<size)
        for index in 0..<size {
            let counting = CountingSubtreeHashes(Self.levels)
            let proof = try MerkleTree.inclusionProof(index: UInt64(index), treeSize: UInt64(size), from: counting)
            #expect(proof == reference.path(index, 0..<size), "index \(index) size \(size)")
            #expect(counting.lookupCount <= 2 * (UInt64.bitWidth - UInt64(size).leadingZeroBitCount))
            try MerkleTree.verifyInclusion(
                leafHash: Self.leafHashes[index], index: UInt64(index), treeSize: UInt64(size), proof: proof, root: root
            )
            if Self.isTamperChecked(size: size, index: index) {
                checkInclusionTampering(leafHash: Self.leafHashes[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root)
            }
        }
    }

    /// Every alteration of a valid inclusion proof or of its inputs is rejected.
    private func checkInclusionTampering(leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]) {
        let context = "index \(index) size \(size)"
        let verify = { (leaf: [UInt8], proof: [[UInt8]], root: [UInt8]) in
            MerkleTestBytes.failure { () throws(MerkleProofError) in
                try MerkleTree.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: root)
            }
        }
        for (offset, bit) in Self.bitsToFlip(size: size, salt: index).enumerated() {
            for position in proof.indices {
                var altered = proof
                altered[position] = MerkleTestBytes.flipping(proof[position], bit: (bit + 37 * position) % 256)
                #expect(verify(leafHash, altered, root) == .rootMismatch(.root), "\(context) proof[\(position)]")
            }
            let rootBit = (bit + 101 * offset) % 256
            #expect(verify(leafHash, proof, MerkleTestBytes.flipping(root, bit: rootBit)) == .rootMismatch(.root), "\(context)")
            #expect(verify(MerkleTestBytes.flipping(leafHash, bit: bit), proof, root) == .rootMismatch(.root), "\(context)")
        }
        let length = proof.count
        #expect(verify(leafHash, proof + [root], root) == .wrongProofLength(hashCountExpected: length, hashCountActual: length + 1))
        #expect(verify(leafHash, [root] + proof, root) == .wrongProofLength(hashCountExpected: length, hashCountActual: length + 1))
        if !proof.isEmpty {
            #expect(verify(leafHash, Array(proof.dropLast()), root) != nil, "\(context) truncated")
        }
        // The same proof must not pass for a neighbouring index.
        for otherIndex in [index ^ 1, index + 1] where otherIndex != index && otherIndex < size {
            let error = MerkleTestBytes.failure { () throws(MerkleProofError) in
                try MerkleTree.verifyInclusion(leafHash: leafHash, index: otherIndex, treeSize: size, proof: proof, root: root)
            }
            #expect(error != nil, "\(context) verified as index \(otherIndex)")
        }
    }

    // MARK: - Consistency

    @Test("consistency proofs for every older size: RFC SUBPROOF, verified, and altered copies rejected",
          arguments: 1...leafCountMax)
    func consistencyProofsForEveryPair(size2: Int) throws {
        let reference = ReferenceTree(leafHashes: Self.leafHashes)
        let root2 = reference.mth(0..<size2)
        for size1 in 1...size2 {
            let counting = CountingSubtreeHashes(Self.levels)
            let proof = try MerkleTree.consistencyProof(size1: UInt64(size1), size2: UInt64(size2), from: counting)
            #expect(proof == reference.subproof(size1, 0..<size2, true), "\(size1) → \(size2)")
            #expect(counting.lookupCount <= 2 * (UInt64.bitWidth - UInt64(size2).leadingZeroBitCount))
            let root1 = reference.mth(0..<size1)
            try MerkleTree.verifyConsistency(size1: UInt64(size1), size2: UInt64(size2), root1: root1, root2: root2, proof: proof)
            if Self.isTamperChecked(size: size2, index: size1) {
                checkConsistencyTampering(size1: UInt64(size1), size2: UInt64(size2), proof: proof, root1: root1, root2: root2)
            }
        }
    }

    /// Every alteration of a valid consistency proof or of its roots is rejected.
    private func checkConsistencyTampering(size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8]) {
        let context = "\(size1) → \(size2)"
        let verify = { (root1: [UInt8], root2: [UInt8], proof: [[UInt8]]) in
            MerkleTestBytes.failure { () throws(MerkleProofError) in
                try MerkleTree.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: proof)
            }
        }
        for (offset, bit) in Self.bitsToFlip(size: size2, salt: size1).enumerated() {
            for position in proof.indices {
                var altered = proof
                altered[position] = MerkleTestBytes.flipping(proof[position], bit: (bit + 37 * position) % 256)
                #expect(verify(root1, root2, altered) != nil, "\(context) proof[\(position)]")
            }
            let rootBit = (bit + 101 * offset) % 256
            #expect(verify(MerkleTestBytes.flipping(root1, bit: rootBit), root2, proof) != nil, "\(context) root1")
            #expect(verify(root1, MerkleTestBytes.flipping(root2, bit: rootBit), proof) != nil, "\(context) root2")
        }
        let length = proof.count
        if size1 == size2 {
            #expect(verify(root1, root2, [root1]) == .proofNotEmpty(hashCount: 1), "\(context)")
        } else {
            #expect(verify(root1, root2, proof + [root2]) == .wrongProofLength(hashCountExpected: length, hashCountActual: length + 1))
            #expect(verify(root1, root2, [root1] + proof) == .wrongProofLength(hashCountExpected: length, hashCountActual: length + 1))
            #expect(verify(root1, root2, Array(proof.dropLast())) != nil, "\(context) truncated")
            #expect(verify(root2, root1, proof) != nil, "\(context) swapped roots")
        }
    }

    // MARK: - How much tampering to try

    /// The pure-Swift SHA-256 costs about 0.1 ms a node in debug builds, so flipping every bit
    /// of every proof is left to the smallest trees; all trees up to 16 leaves and every 8th
    /// index beyond get one flipped bit per hash, at positions that rotate over all 256 bits.
    private static func isTamperChecked(size: Int, index: Int) -> Bool {
        size <= 16 || index.isMultiple(of: 8) || index == size - 1
    }

    /// All 256 bit positions for trees of at most 3 leaves, otherwise one rotating position.
    private static func bitsToFlip(size: UInt64, salt: UInt64) -> [Int] {
        if size <= 3 { return Array(0..<(8 * MerkleTree.hashByteCount)) }
        return [Int((size &* 31 &+ salt &* 7) % 256)]
    }

    // MARK: - Edge cases and errors

    @Test("verification edge cases and their reasons")
    func verificationEdgeCases() {
        let hash = MerkleTree.leafHash([UInt8(1)])
        let verifyInclusion = { (index: UInt64, size: UInt64, leaf: [UInt8], proof: [[UInt8]], root: [UInt8]) in
            MerkleTestBytes.failure { () throws(MerkleProofError) in
                try MerkleTree.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: root)
            }
        }
        #expect(verifyInclusion(0, 0, hash, [], MerkleTree.emptyRoot) == .indexBeyondTreeSize(index: 0, treeSize: 0))
        #expect(verifyInclusion(0, 1, hash, [], hash) == nil)
        #expect(verifyInclusion(0, 1, [], [], hash) == .badHashLength(.leafHash, byteCount: 0))
        #expect(verifyInclusion(0, 1, hash, [], []) == .badHashLength(.root, byteCount: 0))
        #expect(verifyInclusion(0, 2, hash, [[1, 2]], hash) == .badHashLength(.proofHash(position: 0), byteCount: 2))
        #expect(verifyInclusion(UInt64.max, UInt64.max, hash, [], hash) == .indexBeyondTreeSize(index: .max, treeSize: .max))

        let verifyConsistency = { (size1: UInt64, size2: UInt64, root1: [UInt8], root2: [UInt8], proof: [[UInt8]]) in
            MerkleTestBytes.failure { () throws(MerkleProofError) in
                try MerkleTree.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: proof)
            }
        }
        let empty = MerkleTree.emptyRoot
        #expect(verifyConsistency(0, 0, empty, empty, []) == .consistencyFromEmptyTree(size2: 0))
        #expect(verifyConsistency(0, 5, empty, hash, []) == .consistencyFromEmptyTree(size2: 5))
        #expect(verifyConsistency(2, 1, hash, hash, []) == .size1BeyondSize2(size1: 2, size2: 1))
        #expect(verifyConsistency(3, 3, hash, hash, []) == nil)
        #expect(verifyConsistency(3, 3, hash, empty, []) == .rootMismatch(.root2))
        #expect(verifyConsistency(3, 3, hash, hash, [hash]) == .proofNotEmpty(hashCount: 1))
        #expect(verifyConsistency(1, 2, hash, hash, []) == .wrongProofLength(hashCountExpected: 1, hashCountActual: 0))
        #expect(verifyConsistency(1, 2, [1], hash, [hash]) == .badHashLength(.root1, byteCount: 1))
        #expect(verifyConsistency(1, 2, hash, hash, [[]]) == .badHashLength(.proofHash(position: 0), byteCount: 0))
    }

    @Test("generator refuses requests that describe no proof")
    func generatorRequestErrors() {
        let levels = MerkleLevels(leafHashes: Array(Self.leafHashes.prefix(5)))
        #expect(throws: MerkleProofRequestError.indexBeyondTreeSize(index: 0, treeSize: 0)) {
            try MerkleTree.inclusionProof(index: 0, treeSize: 0, from: levels)
        }
        #expect(throws: MerkleProofRequestError.indexBeyondTreeSize(index: 3, treeSize: 3)) {
            try MerkleTree.inclusionProof(index: 3, treeSize: 3, from: levels)
        }
        #expect(throws: MerkleProofRequestError.treeSizeBeyondStored(treeSize: 6, storedTreeSize: 5)) {
            try MerkleTree.inclusionProof(index: 0, treeSize: 6, from: levels)
        }
        #expect(throws: MerkleProofRequestError.consistencyFromEmptyTree(size2: 3)) {
            try MerkleTree.consistencyProof(size1: 0, size2: 3, from: levels)
        }
        #expect(throws: MerkleProofRequestError.size1BeyondSize2(size1: 4, size2: 3)) {
            try MerkleTree.consistencyProof(size1: 4, size2: 3, from: levels)
        }
        #expect(throws: MerkleProofRequestError.treeSizeBeyondStored(treeSize: 9, storedTreeSize: 5)) {
            try MerkleTree.root(treeSize: 9, from: levels)
        }
        #expect((try? MerkleTree.consistencyProof(size1: 5, size2: 5, from: levels)) == [])
    }

    /// For sizes far beyond any in-memory tree, the generator's proof shape and the verifier's
    /// expected length must agree: a proof of the planned length with made-up hashes fails only
    /// at the root comparison, and one hash more or less fails on length.
    @Test("plans and verifiers agree on proof lengths up to 2^64 - 1 leaves")
    func largeTreeProofLengthsAgree() throws {
        var random = SplitMix64(seed: 0x6d65_726b_6c65)
        var sizes: [UInt64] = [2, 3, UInt64(1) << 32, (UInt64(1) << 63) + 1, UInt64.max - 1, UInt64.max]
        for _ in 0..<40 { sizes.append(max(2, random.next() >> (random.next() % 64))) }
        let filler = MerkleTree.leafHash([UInt8(7)])
        for size in sizes {
            for index in [0, size / 3, size - 2, size - 1] {
                let plan = try MerkleTree.inclusionPlan(index: index, treeSize: size)
                let proof = Array(repeating: filler, count: plan.elements.count)
                #expect(throws: MerkleProofError.rootMismatch(.root)) {
                    try MerkleTree.verifyInclusion(leafHash: filler, index: index, treeSize: size, proof: proof, root: filler)
                }
                #expect(plan.subtrees.count <= 2 * MerkleTree.proofHashCountMax)
            }
            for size1 in [1, size / 2, size - 1] where size1 > 0 {
                let plan = try MerkleTree.consistencyPlan(size1: size1, size2: size)
                let proof = Array(repeating: filler, count: plan.elements.count)
                let error = MerkleTestBytes.failure { () throws(MerkleProofError) in
                    try MerkleTree.verifyConsistency(size1: size1, size2: size, root1: filler, root2: filler, proof: proof)
                }
                #expect(error == .rootMismatch(.root1) || error == .rootMismatch(.root2), "\(size1) → \(size)")
                #expect(throws: MerkleProofError.wrongProofLength(hashCountExpected: proof.count, hashCountActual: proof.count + 1)) {
                    try MerkleTree.verifyConsistency(size1: size1, size2: size, root1: filler, root2: filler, proof: proof + [filler])
                }
            }
            #expect(MerkleTree.rootSubtrees(treeSize: size).count == size.nonzeroBitCount)
        }
    }

    @Test("appending leaves one at a time gives the same subtrees as building at once")
    func levelsAppend() {
        var appended = MerkleLevels()
        #expect(appended.treeSize == 0)
        for (count, leafHash) in Self.leafHashes.enumerated() {
            appended.append(leafHash: leafHash)
            let subtrees = MerkleTree.rootSubtrees(treeSize: UInt64(count + 1))
            let built = MerkleLevels(leafHashes: Array(Self.leafHashes.prefix(count + 1)))
            for subtree in subtrees {
                #expect(appended.hash(level: subtree.level, index: subtree.index) == built.hash(level: subtree.level, index: subtree.index))
            }
        }
    }
}

// MARK: - Test doubles

/// Counts lookups, to hold the generator to O(log n) of them.
final class CountingSubtreeHashes: MerkleSubtreeHashes {
    private let inner: MerkleLevels
    private(set) var lookupCount = 0

    init(_ inner: MerkleLevels) { self.inner = inner }

    var treeSize: UInt64 { inner.treeSize }

    func hash(level: Int, index: UInt64) -> [UInt8] {
        lookupCount += 1
        return inner.hash(level: level, index: index)
    }
}

/// RFC 9162 §2.1 transcribed literally over all leaf hashes (MTH, PATH, SUBPROOF), with each
/// subtree's MTH memoised so that checking thousands of proofs stays fast.
final class ReferenceTree {
    private let leafHashes: [[UInt8]]
    private var memo: [Range<Int>: [UInt8]] = [:]

    init(leafHashes: [[UInt8]]) { self.leafHashes = leafHashes }

    /// MTH(D[range]).
    func mth(_ range: Range<Int>) -> [UInt8] {
        if let known = memo[range] { return known }
        let hash: [UInt8]
        switch range.count {
        case 0: hash = MerkleTree.emptyRoot
        case 1: hash = leafHashes[range.lowerBound]
        default:
            let split = range.lowerBound + Self.split(range.count)
            hash = MerkleTree.nodeHash(mth(range.lowerBound..<split), mth(split..<range.upperBound))
        }
        memo[range] = hash
        return hash
    }

    /// PATH(m, D[range]).
    func path(_ m: Int, _ range: Range<Int>) -> [[UInt8]] {
        let n = range.count
        if n == 1 { return [] }
        let k = Self.split(n)
        let (left, right) = (range.lowerBound..<range.lowerBound + k, range.lowerBound + k..<range.upperBound)
        if m < k { return path(m, left) + [mth(right)] }
        return path(m - k, right) + [mth(left)]
    }

    /// SUBPROOF(m, D[range], b).
    func subproof(_ m: Int, _ range: Range<Int>, _ b: Bool) -> [[UInt8]] {
        let n = range.count
        if m == n { return b ? [] : [mth(range)] }
        let k = Self.split(n)
        let (left, right) = (range.lowerBound..<range.lowerBound + k, range.lowerBound + k..<range.upperBound)
        if m <= k { return subproof(m, left, b) + [mth(right)] }
        return subproof(m - k, right, false) + [mth(left)]
    }

    /// The largest power of two smaller than n.
    private static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }
}

