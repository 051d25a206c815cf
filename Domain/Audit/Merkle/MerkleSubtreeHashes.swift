/// One perfect subtree of a Merkle tree: the 2^`level` leaves starting at leaf
/// `index * 2^level`. Level 0 is a single leaf. This is the tile-friendly coordinate that C2SP
/// tlog-tiles stores (`level`, `index`) and what proofs and roots are assembled from.
public struct MerkleSubtreeID: Hashable, Sendable, CustomStringConvertible {
    /// Levels run from 0 (a leaf) to 63: a tree has fewer than 2^64 leaves.
    public static let levelMax = 63

    /// The height of the subtree: it covers 2^`level` leaves.
    public let level: Int
    /// The position of the subtree among the subtrees of its level, counted from 0 at the left.
    public let index: UInt64

    /// The subtree at `level` and `index`; it must start below leaf index 2^64.
    public init(level: Int, index: UInt64) {
        precondition((0...MerkleSubtreeID.levelMax).contains(level), "a subtree level is in 0...63")
        precondition(index <= UInt64.max >> level, "the subtree starts below leaf index 2^64")
        self.level = level
        self.index = index
    }

    /// The index of the first leaf the subtree covers.
    public var leafStart: UInt64 { index << level }

    /// The number of leaves the subtree covers, 2^`level`.
    public var leafCount: UInt64 { UInt64(1) << level }

    public var description: String { "subtree(level: \(level), index: \(index))" }
}

/// A read-only source of perfect-subtree hashes: the port through which proofs and roots are
/// built without holding every leaf in memory. A C2SP tlog-tiles store answers it from tiles;
/// `MerkleLevels` answers it from memory.
public protocol MerkleSubtreeHashes {
    /// How many leaves the source holds. Every perfect subtree lying entirely below this leaf
    /// count can be asked for.
    var treeSize: UInt64 { get }

    /// The Merkle tree hash of the perfect subtree of 2^`level` leaves starting at leaf
    /// `index * 2^level`; always `MerkleTree.hashByteCount` bytes.
    ///
    /// Callers only ask for subtrees with `(index + 1) * 2^level <= treeSize`.
    func hash(level: Int, index: UInt64) -> [UInt8]
}

extension MerkleSubtreeHashes {
    /// The hash of `subtree`, checked: asking for a subtree beyond the stored leaves and receiving
    /// a hash of the wrong length are both programming errors.
    func hash(of subtree: MerkleSubtreeID) -> [UInt8] {
        precondition(subtree.leafStart <= treeSize && subtree.leafCount <= treeSize - subtree.leafStart,
                     "\(subtree) lies beyond the \(treeSize) stored leaves")
        let hash = hash(level: subtree.level, index: subtree.index)
        precondition(hash.count == MerkleTree.hashByteCount, "a subtree hash is \(MerkleTree.hashByteCount) bytes")
        return hash
    }
}

/// Every level of a Merkle tree, kept in memory: level 0 holds the leaf hashes, level `l + 1`
/// the hash of each complete pair on level `l`. Appending a leaf costs O(1) amortised node hashes.
///
/// The in-memory implementation of `MerkleSubtreeHashes`, for tests and small logs.
public struct MerkleLevels: MerkleSubtreeHashes, Sendable {
    /// `levels[l][i]` is the hash of perfect subtree (`l`, `i`).
    private var levels: [[[UInt8]]] = [[]]

    /// An empty tree.
    public init() {}

    /// A tree over `leafHashes`, in order.
    public init(leafHashes: [[UInt8]]) {
        levels[0].reserveCapacity(leafHashes.count)
        for leafHash in leafHashes {
            append(leafHash: leafHash)
        }
    }

    /// The number of leaves appended so far.
    public var treeSize: UInt64 { UInt64(levels[0].count) }

    /// Adds one leaf hash at index `treeSize` and hashes every subtree it completes.
    public mutating func append(leafHash: [UInt8]) {
        precondition(leafHash.count == MerkleTree.hashByteCount, "a leaf hash is \(MerkleTree.hashByteCount) bytes")
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count.isMultiple(of: 2) {
            let count = levels[level].count
            let parent = MerkleTree.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if level + 1 == levels.count { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// The stored hash of perfect subtree (`level`, `index`); it must be complete.
    public func hash(level: Int, index: UInt64) -> [UInt8] {
        precondition(level >= 0 && level < levels.count, "level \(level) is not stored")
        precondition(index < UInt64(levels[level].count), "subtree \(index) on level \(level) is not complete")
        return levels[level][Int(index)]
    }
}
