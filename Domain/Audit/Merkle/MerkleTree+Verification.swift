/// Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2), pure and independent of the generator:
/// an auditor needs only these functions, the proof and the roots.
///
/// Both checks first derive the one proof length the sizes allow, so a proof with a hash too
/// many or too few (trailing or preceding garbage) is rejected before any hashing. The length
/// splits in two parts: the *inner* levels, below the point where the path to the leaf meets the
/// path to the tree's last leaf, have a sibling on either side; above it the path runs along the
/// tree's right border, where a node has a (left) sibling only where the index has a 1 bit.
extension MerkleTree {
    /// Checks that `leafHash` is leaf `index` of the tree of `treeSize` leaves whose root is `root`.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]
    ) throws(MerkleProofError) {
        let computedRoot = try rootFromInclusionProof(leafHash: leafHash, index: index, treeSize: treeSize, proof: proof)
        try requireHashLength(root, .root)
        guard computedRoot == root else { throw .rootMismatch(.root) }
    }

    /// The root that an inclusion proof for `leafHash` at `index` leads to in a tree of
    /// `treeSize` leaves. Only meaningful once compared with a trusted root.
    public static func rootFromInclusionProof(
        leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]]
    ) throws(MerkleProofError) -> [UInt8] {
        guard index < treeSize else { throw .indexBeyondTreeSize(index: index, treeSize: treeSize) }
        try requireHashLength(leafHash, .leafHash)
        let (innerCount, borderCount) = pathShape(index: index, treeSize: treeSize)
        try requireProof(proof, hashCountExpected: innerCount + borderCount)

        var hash = leafHash
        for (level, sibling) in proof.prefix(innerCount).enumerated() {
            hash = (index >> level) & 1 == 0 ? nodeHash(hash, sibling) : nodeHash(sibling, hash)
        }
        for sibling in proof.dropFirst(innerCount) {
            hash = nodeHash(sibling, hash)
        }
        return hash
    }

    /// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1`
    /// leaves with root `root1`.
    ///
    /// Edge cases follow transparency-dev/merkle and its test vectors: `size1 == 0` always fails
    /// (the empty tree is a prefix of everything, so the proof would show nothing); when
    /// `size1 == size2` the proof must be empty and the roots are compared byte for byte.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, root1: [UInt8], root2: [UInt8], proof: [[UInt8]]
    ) throws(MerkleProofError) {
        guard size1 <= size2 else { throw .size1BeyondSize2(size1: size1, size2: size2) }
        guard size1 > 0 else { throw .consistencyFromEmptyTree(size2: size2) }
        if size1 == size2 {
            guard proof.isEmpty else { throw .proofNotEmpty(hashCount: proof.count) }
            guard root1 == root2 else { throw .rootMismatch(.root2) }
            return
        }
        try requireHashLength(root1, .root1)
        try requireHashLength(root2, .root2)
        let (computedRoot1, computedRoot2) = try rootsFromConsistencyProof(size1: size1, size2: size2, root1: root1, proof: proof)
        guard computedRoot1 == root1 else { throw .rootMismatch(.root1) }
        guard computedRoot2 == root2 else { throw .rootMismatch(.root2) }
    }

    /// The two roots a consistency proof leads to, for `0 < size1 < size2`.
    ///
    /// The proof is, in effect, the inclusion proof of the perfect subtree at level `shift` (the
    /// trailing zero bits of `size1`) that holds leaf `size1 - 1`. Its hash is the first proof
    /// hash, unless `size1` is a power of two: then that subtree is the whole old tree and its
    /// hash is `root1`. Chaining only the siblings on the left rebuilds root1; all of them, root2.
    private static func rootsFromConsistencyProof(
        size1: UInt64, size2: UInt64, root1: [UInt8], proof: [[UInt8]]
    ) throws(MerkleProofError) -> (root1: [UInt8], root2: [UInt8]) {
        precondition(0 < size1 && size1 < size2)
        let (pathInnerCount, borderCount) = pathShape(index: size1 - 1, treeSize: size2)
        let shift = size1.trailingZeroBitCount
        precondition(shift < pathInnerCount, "the old tree's last leaf and the new tree's last leaf part below level shift")
        let innerCount = pathInnerCount - shift
        let seedIsRoot1 = size1 == UInt64(1) << shift
        try requireProof(proof, hashCountExpected: (seedIsRoot1 ? 0 : 1) + innerCount + borderCount)

        let seed = seedIsRoot1 ? root1 : proof[0]
        let path = proof.dropFirst(seedIsRoot1 ? 0 : 1)
        let oldEdgeIndex = (size1 - 1) >> shift
        var (hash1, hash2) = (seed, seed)
        for (level, sibling) in path.prefix(innerCount).enumerated() {
            if (oldEdgeIndex >> level) & 1 == 1 {
                hash1 = nodeHash(sibling, hash1)
                hash2 = nodeHash(sibling, hash2)
            } else {
                hash2 = nodeHash(hash2, sibling)
            }
        }
        for sibling in path.dropFirst(innerCount) {
            hash1 = nodeHash(sibling, hash1)
            hash2 = nodeHash(sibling, hash2)
        }
        return (hash1, hash2)
    }

    /// The number of inner and border hashes in the inclusion proof of leaf `index` in a tree of
    /// `treeSize` leaves. Inner levels are those below the highest bit where `index` and
    /// `treeSize - 1` differ.
    static func pathShape(index: UInt64, treeSize: UInt64) -> (innerCount: Int, borderCount: Int) {
        precondition(index < treeSize)
        let innerCount = UInt64.bitWidth - (index ^ (treeSize - 1)).leadingZeroBitCount
        let borderCount = (index >> innerCount).nonzeroBitCount
        precondition(innerCount + borderCount <= UInt64.bitWidth, "an inclusion path is at most 64 levels long")
        return (innerCount, borderCount)
    }

    private static func requireProof(_ proof: [[UInt8]], hashCountExpected: Int) throws(MerkleProofError) {
        guard proof.count == hashCountExpected else {
            throw .wrongProofLength(hashCountExpected: hashCountExpected, hashCountActual: proof.count)
        }
        for (position, hash) in proof.enumerated() {
            try requireHashLength(hash, .proofHash(position: position))
        }
    }

    private static func requireHashLength(_ hash: [UInt8], _ role: MerkleHashRole) throws(MerkleProofError) {
        guard hash.count == hashByteCount else { throw .badHashLength(role, byteCount: hash.count) }
    }
}
