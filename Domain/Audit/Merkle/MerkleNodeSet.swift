/// A stored Merkle node: the hash of perfect subtree (`level`, `index`) on one of the stored
/// levels 0, 8, 16, … (docs/audit-log.md §10). Level 0 holds the leaf hashes.
public struct MerkleNode: Hashable, Sendable {
    public let level: Int
    public let index: UInt64
    public let hash: [UInt8]

    public init(level: Int, index: UInt64, hash: [UInt8]) {
        precondition(MerkleNodeSet.isStoredLevel(level), "nodes are stored on levels 0, 8, 16, …")
        precondition(hash.count == MerkleTree.hashByteCount, "a node hash is \(MerkleTree.hashByteCount) bytes")
        self.level = level
        self.index = index
        self.hash = hash
    }
}

/// Consecutive nodes `start ..< end` of one stored level.
public struct MerkleNodeRange: Hashable, Sendable, CustomStringConvertible {
    public let level: Int
    public let start: UInt64
    public let end: UInt64

    public init(level: Int, start: UInt64, end: UInt64) {
        precondition(MerkleNodeSet.isStoredLevel(level), "nodes are stored on levels 0, 8, 16, …")
        precondition(start <= end, "a range runs forwards")
        self.level = level
        self.start = start
        self.end = end
    }

    public var count: Int { Int(end - start) }
    public var description: String { "level \(level) nodes \(start)..<\(end)" }
}

/// Merkle nodes of the stored levels (every `stride`-th level: 0, 8, 16, …), as fetched from
/// storage or computed here. Any perfect subtree is answered from the stored level at or below
/// it: a subtree 0–7 levels above a stored level is the root of at most 128 stored nodes, all in
/// one 256-wide tile. So a proof needs O(log n) stored nodes, a few hundred at most (§10).
///
/// Appending leaf hashes extends the tree incrementally: each completed run of 256 nodes on a
/// stored level makes one node on the next, and `appended` lists the nodes of levels 8 and up
/// made so, for the caller to store. Appending needs the tree's right edge (`rightEdge`).
public struct MerkleNodeSet: MerkleSubtreeHashes, Sendable {
    /// Stored levels are the multiples of this (C2SP tlog-tiles' tile height).
    public static let stride = TilePath.height
    /// Nodes per tile: a run of 256 nodes on a stored level makes one node on the next.
    public static let tileWidth = UInt64(TilePath.width)
    /// The highest stored level: tree sizes are below 2^63 (PostgreSQL's bigint).
    public static let storedLevelMax = 56

    public static func isStoredLevel(_ level: Int) -> Bool {
        level >= 0 && level <= storedLevelMax && level.isMultiple(of: stride)
    }

    /// The number of leaves; every perfect subtree below it can be asked for once its nodes are in.
    public private(set) var treeSize: UInt64
    /// `nodes[level / stride][index]`.
    private var nodes: [[UInt64: [UInt8]]]
    /// Nodes of levels 8 and up completed by `append`, in the order they were made.
    public private(set) var appended: [MerkleNode] = []

    /// An empty set for a tree of `treeSize` leaves; fill it with `insert`.
    public init(treeSize: UInt64) {
        self.treeSize = treeSize
        self.nodes = Array(repeating: [:], count: Self.storedLevelMax / Self.stride + 1)
    }

    // MARK: - What to fetch

    /// The stored nodes from which `subtrees` can be hashed, as few merged ranges as possible.
    public static func ranges(covering subtrees: [MerkleSubtreeID]) -> [MerkleNodeRange] {
        var byLevel: [Int: [(UInt64, UInt64)]] = [:]
        for subtree in subtrees {
            let stored = min(subtree.level / stride * stride, storedLevelMax)
            let shift = subtree.level - stored
            byLevel[stored, default: []].append((subtree.index << shift, (subtree.index + 1) << shift))
        }
        return byLevel.keys.sorted().flatMap { level in merged(byLevel[level]!, level: level) }
    }

    /// The nodes that appending needs: on each stored level, the nodes after the last complete
    /// tile (at most 255). Together they hash to the root, so checking the root checks them all.
    public static func rightEdge(treeSize: UInt64) -> [MerkleNodeRange] {
        var result: [MerkleNodeRange] = []
        var level = 0
        while level <= storedLevelMax {
            let count = treeSize >> level
            if count == 0 { break }
            let start = count - count % tileWidth
            if start < count { result.append(MerkleNodeRange(level: level, start: start, end: count)) }
            level += stride
        }
        return result
    }

    /// The parts of `ranges` this set does not hold yet.
    public func missing(_ ranges: [MerkleNodeRange]) -> [MerkleNodeRange] {
        ranges.flatMap { range -> [MerkleNodeRange] in
            let held = nodes[range.level / Self.stride]
            var gaps: [(UInt64, UInt64)] = []
            var index = range.start
            while index < range.end {
                if held[index] == nil {
                    if let last = gaps.last, last.1 == index { gaps[gaps.count - 1].1 = index + 1 } else { gaps.append((index, index + 1)) }
                }
                index += 1
            }
            return gaps.map { MerkleNodeRange(level: range.level, start: $0.0, end: $0.1) }
        }
    }

    /// Adds a node (fetched from storage, or known). A node already held is replaced.
    public mutating func insert(_ node: MerkleNode) {
        nodes[node.level / Self.stride][node.index] = node.hash
    }

    // MARK: - Hashes

    /// The hash of perfect subtree (`level`, `index`), from the stored level at or below it.
    /// Every node it needs must have been inserted or appended.
    public func hash(level: Int, index: UInt64) -> [UInt8] {
        let stored = min(level / Self.stride * Self.stride, Self.storedLevelMax)
        return root(storedLevel: stored, start: index << (level - stored), count: UInt64(1) << (level - stored))
    }

    /// The root of the perfect subtree over `count` (a power of two) consecutive nodes of a stored level.
    private func root(storedLevel: Int, start: UInt64, count: UInt64) -> [UInt8] {
        let held = nodes[storedLevel / Self.stride]
        var row: [[UInt8]] = []
        row.reserveCapacity(Int(count))
        for index in start..<start + count {
            guard let hash = held[index] else { preconditionFailure("node \(index) of level \(storedLevel) is not in the set") }
            row.append(hash)
        }
        while row.count > 1 {
            row = Swift.stride(from: 0, to: row.count, by: 2).map { MerkleTree.nodeHash(row[$0], row[$0 + 1]) }
        }
        return row[0]
    }

    // MARK: - Growing

    /// Adds the leaf hash of entry `treeSize` and every stored-level node it completes.
    /// The right edge of the current tree must be in the set.
    public mutating func append(leafHash: [UInt8]) {
        precondition(leafHash.count == MerkleTree.hashByteCount, "a leaf hash is \(MerkleTree.hashByteCount) bytes")
        nodes[0][treeSize] = leafHash
        treeSize += 1
        var level = Self.stride
        while level <= Self.storedLevelMax, treeSize.isMultiple(of: UInt64(1) << level) {
            let index = (treeSize >> level) - 1
            let hash = root(storedLevel: level - Self.stride, start: index * Self.tileWidth, count: Self.tileWidth)
            nodes[level / Self.stride][index] = hash
            appended.append(MerkleNode(level: level, index: index, hash: hash))
            level += Self.stride
        }
    }

    /// Drops the leaf hashes that growing the tree no longer needs (all but the last incomplete
    /// tile's), keeping every node of levels 8 and up (one per 256 leaves). Keeps memory small
    /// while a large log is rebuilt; dropped leaf hashes can be fetched again from storage.
    public mutating func forgetLeavesBeforeRightEdge() {
        let keepFrom = treeSize - treeSize % Self.tileWidth
        nodes[0] = nodes[0].filter { $0.key >= keepFrom }
    }

    private static func merged(_ spans: [(UInt64, UInt64)], level: Int) -> [MerkleNodeRange] {
        var result: [MerkleNodeRange] = []
        for (start, end) in spans.sorted(by: { $0.0 < $1.0 }) {
            if let last = result.last, start <= last.end {
                result[result.count - 1] = MerkleNodeRange(level: level, start: last.start, end: max(last.end, end))
            } else {
                result.append(MerkleNodeRange(level: level, start: start, end: end))
            }
        }
        return result
    }
}
