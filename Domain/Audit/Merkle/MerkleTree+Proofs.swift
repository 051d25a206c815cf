/// Which perfect subtrees a proof is made of, before any hash is looked up.
///
/// Proof hash `i` is the Merkle tree hash of the run of adjacent perfect subtrees `elements[i]`,
/// listed left to right, each strictly smaller than the one before it. A run has one subtree
/// unless it is the ragged right edge of the tree. Elements are ordered from the leaf upwards,
/// as RFC 9162 orders proof hashes. An adapter whose storage is slow can fetch `subtrees` first
/// and then answer `hashes(from:)` from what it fetched.
public struct MerkleProofPlan: Hashable, Sendable {
    /// One run of perfect subtrees per proof hash, from the leaf upwards.
    public let elements: [[MerkleSubtreeID]]

    init(elements: [[MerkleSubtreeID]]) {
        precondition(elements.count <= MerkleTree.proofHashCountMax)
        precondition(elements.allSatisfy { !$0.isEmpty }, "every proof hash covers at least one subtree")
        self.elements = elements
    }

    /// Every subtree the proof needs, in proof order; O(log n) of them.
    public var subtrees: [MerkleSubtreeID] { elements.flatMap { $0 } }

    /// The proof hashes, looked up in `source`, which must hold every subtree of the plan.
    public func hashes(from source: some MerkleSubtreeHashes) -> [[UInt8]] {
        elements.map { MerkleTree.hash(ofRun: $0, from: source) }
    }
}

/// A proof or root was asked for with arguments that describe no proof. Raised by the generator
/// only; verification failures are `MerkleProofError`.
public enum MerkleProofRequestError: DomainError, Equatable, CustomStringConvertible {
    /// An inclusion proof needs `index < treeSize`; a tree of size 0 includes nothing.
    case indexBeyondTreeSize(index: UInt64, treeSize: UInt64)
    /// A consistency proof needs `size1 <= size2`.
    case size1BeyondSize2(size1: UInt64, size2: UInt64)
    /// A consistency proof from the empty tree proves nothing (RFC 9162 §2.1.4 needs `0 < size1`).
    case consistencyFromEmptyTree(size2: UInt64)
    /// The source holds fewer leaves than the tree asked about.
    case treeSizeBeyondStored(treeSize: UInt64, storedTreeSize: UInt64)

    public var slug: String {
        switch self {
        case .indexBeyondTreeSize: "merkle-index-beyond-tree-size"
        case .size1BeyondSize2: "merkle-size1-beyond-size2"
        case .consistencyFromEmptyTree: "merkle-consistency-from-empty-tree"
        case .treeSizeBeyondStored: "merkle-tree-size-beyond-stored"
        }
    }

    public var description: String {
        switch self {
        case let .indexBeyondTreeSize(index, treeSize):
            "leaf index \(index) is not below tree size \(treeSize)"
        case let .size1BeyondSize2(size1, size2):
            "size1 \(size1) is greater than size2 \(size2)"
        case let .consistencyFromEmptyTree(size2):
            "no consistency proof exists from the empty tree to size \(size2)"
        case let .treeSizeBeyondStored(treeSize, storedTreeSize):
            "tree size \(treeSize) is beyond the \(storedTreeSize) stored leaves"
        }
    }
}

extension MerkleTree {
    /// The inclusion proof PATH(index, D[treeSize]) of RFC 9162 §2.1.3.1, built from O(log n)
    /// perfect subtree hashes of `source`.
    public static func inclusionProof(
        index: UInt64, treeSize: UInt64, from source: some MerkleSubtreeHashes
    ) throws(MerkleProofRequestError) -> [[UInt8]] {
        try requireStored(treeSize: treeSize, in: source)
        return try inclusionPlan(index: index, treeSize: treeSize).hashes(from: source)
    }

    /// The consistency proof PROOF(size1, D[size2]) of RFC 9162 §2.1.4.1, built from O(log n)
    /// perfect subtree hashes of `source`. Empty when `size1 == size2`.
    public static func consistencyProof(
        size1: UInt64, size2: UInt64, from source: some MerkleSubtreeHashes
    ) throws(MerkleProofRequestError) -> [[UInt8]] {
        try requireStored(treeSize: size2, in: source)
        return try consistencyPlan(size1: size1, size2: size2).hashes(from: source)
    }

    /// The root MTH(D[treeSize]) of the first `treeSize` leaves of `source`, from at most 64
    /// perfect subtree hashes.
    public static func root(
        treeSize: UInt64, from source: some MerkleSubtreeHashes
    ) throws(MerkleProofRequestError) -> [UInt8] {
        try requireStored(treeSize: treeSize, in: source)
        if treeSize == 0 { return emptyRoot }
        return hash(ofRun: rootSubtrees(treeSize: treeSize), from: source)
    }

    /// The perfect subtrees that a tree of `treeSize` leaves decomposes into, left to right, one
    /// for each set bit of `treeSize`. Their run hashes to the root.
    public static func rootSubtrees(treeSize: UInt64) -> [MerkleSubtreeID] {
        run(leafStart: 0, leafEnd: treeSize)
    }

    /// The subtrees of the inclusion proof for leaf `index` in a tree of `treeSize` leaves.
    public static func inclusionPlan(index: UInt64, treeSize: UInt64) throws(MerkleProofRequestError) -> MerkleProofPlan {
        guard index < treeSize else { throw .indexBeyondTreeSize(index: index, treeSize: treeSize) }
        // Walk PATH from the root down; each step records the sibling of the side holding `index`.
        var topDown: [[MerkleSubtreeID]] = []
        var (leafStart, leafEnd) = (UInt64(0), treeSize)
        while leafEnd - leafStart > 1 {
            let split = leafStart + largestPowerOfTwo(below: leafEnd - leafStart)
            if index < split {
                topDown.append(run(leafStart: split, leafEnd: leafEnd))
                leafEnd = split
            } else {
                topDown.append(run(leafStart: leafStart, leafEnd: split))
                leafStart = split
            }
        }
        return MerkleProofPlan(elements: topDown.reversed())
    }

    /// The subtrees of the consistency proof from `size1` to `size2` leaves: SUBPROOF of RFC 9162
    /// §2.1.4.1, walked from the root down.
    public static func consistencyPlan(size1: UInt64, size2: UInt64) throws(MerkleProofRequestError) -> MerkleProofPlan {
        guard size1 <= size2 else { throw .size1BeyondSize2(size1: size1, size2: size2) }
        guard size1 > 0 else { throw .consistencyFromEmptyTree(size2: size2) }
        var topDown: [[MerkleSubtreeID]] = []
        var (leafStart, leafEnd) = (UInt64(0), size2)
        // `size1IsWholeSubtree` is the flag b of SUBPROOF: the current subtree's left edge is the
        // old tree's left edge, so a verifier already knows its hash as root1.
        var size1IsWholeSubtree = true
        while size1 != leafEnd {
            precondition(leafStart < size1 && size1 < leafEnd)
            let split = leafStart + largestPowerOfTwo(below: leafEnd - leafStart)
            if size1 <= split {
                topDown.append(run(leafStart: split, leafEnd: leafEnd))
                leafEnd = split
            } else {
                topDown.append(run(leafStart: leafStart, leafEnd: split))
                leafStart = split
                size1IsWholeSubtree = false
            }
        }
        if !size1IsWholeSubtree {
            topDown.append(run(leafStart: leafStart, leafEnd: leafEnd))
        }
        return MerkleProofPlan(elements: topDown.reversed())
    }

    /// Leaves `leafStart..<leafEnd` as perfect subtrees, left to right, largest first. The range
    /// is always a subtree of the recursive split, so each piece is aligned to its own size.
    static func run(leafStart: UInt64, leafEnd: UInt64) -> [MerkleSubtreeID] {
        precondition(leafStart <= leafEnd)
        var subtrees: [MerkleSubtreeID] = []
        var start = leafStart
        while start < leafEnd {
            let level = UInt64.bitWidth - 1 - (leafEnd - start).leadingZeroBitCount
            precondition(start.isMultiple(of: UInt64(1) << level), "a run piece is aligned to its size")
            subtrees.append(MerkleSubtreeID(level: level, index: start >> level))
            start += UInt64(1) << level
        }
        return subtrees
    }

    /// The Merkle tree hash of a run of perfect subtrees: MTH splits a ragged range at its
    /// largest piece, so the run folds from the right.
    static func hash(ofRun run: [MerkleSubtreeID], from source: some MerkleSubtreeHashes) -> [UInt8] {
        guard var result = run.last.map({ source.hash(of: $0) }) else {
            preconditionFailure("a run covers at least one subtree")
        }
        for subtree in run.dropLast().reversed() {
            result = nodeHash(source.hash(of: subtree), result)
        }
        return result
    }

    private static func requireStored(
        treeSize: UInt64, in source: some MerkleSubtreeHashes
    ) throws(MerkleProofRequestError) {
        guard treeSize <= source.treeSize else {
            throw .treeSizeBeyondStored(treeSize: treeSize, storedTreeSize: source.treeSize)
        }
    }
}
