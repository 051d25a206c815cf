import Foundation

/// The Merkle tree of the entries being verified, every level kept as inline digests (no
/// allocation per hash). Entry bundles start at multiples of 256 leaves, so each bundle's
/// subtrees up to level 8 can be hashed on their own, in parallel, and appended here in order;
/// the levels above are completed as bundles arrive.
struct VerifiedTree: MerkleSubtreeHashes {
    /// Levels inside one full entry bundle: 2^8 = 256 leaves.
    static let bundleHeight = 8

    /// `levels[l][i]` is the hash of perfect subtree (`l`, `i`).
    private var levels: [[SHA256Digest]] = [[]]
    private let hasher: any SHA256Hashing

    init(hasher: any SHA256Hashing) {
        self.hasher = hasher
    }

    var treeSize: UInt64 { UInt64(levels[0].count) }

    func hash(level: Int, index: UInt64) -> [UInt8] {
        precondition(level >= 0 && level < levels.count, "level \(level) is not stored")
        precondition(index < UInt64(levels[level].count), "subtree \(index) on level \(level) is not complete")
        return levels[level][Int(index)].bytes
    }

    /// The perfect subtrees of one bundle's leaves: level `l` holds `leaves.count >> l` hashes,
    /// for `l` from 0 to 8.
    static func bundleLevels(leaves: [SHA256Digest], hasher: any SHA256Hashing) -> [[SHA256Digest]] {
        precondition(leaves.count <= TilePath.width, "a bundle holds at most 256 entries")
        var result = [leaves]
        for level in 1...bundleHeight {
            let below = result[level - 1]
            result.append((0..<(below.count / 2)).map { hasher.nodeHash(below[2 * $0], below[2 * $0 + 1]) })
        }
        return result
    }

    /// Appends the next bundle's levels (from `bundleLevels`); every bundle before it was full.
    mutating func append(bundleLevels: [[SHA256Digest]]) {
        precondition(treeSize % UInt64(TilePath.width) == 0, "only the last bundle may be partial")
        for (level, hashes) in bundleLevels.enumerated() {
            if level == levels.count { levels.append([]) }
            levels[level].append(contentsOf: hashes)
        }
        // A full bundle adds one hash on level 8: complete the subtrees above it, as
        // `MerkleLevels.append` does for one leaf.
        guard bundleLevels.count > VerifiedTree.bundleHeight, bundleLevels[VerifiedTree.bundleHeight].count == 1 else { return }
        var level = VerifiedTree.bundleHeight
        while levels[level].count.isMultiple(of: 2) {
            let count = levels[level].count
            let parent = hasher.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if level + 1 == levels.count { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// Whether `stored` holds exactly tile (`level`, `index`, `width`) of this tree: `width`
    /// hashes of Merkle level 8 × `level` from hash `index` × 256 on (what
    /// `TiledLogExport.tileBytes` writes).
    func tileMatches(level: Int, index: UInt64, width: Int, stored: [UInt8]) -> Bool {
        let merkleLevel = level * TilePath.height
        let first = Int(index) * TilePath.width
        precondition(merkleLevel < levels.count && first + width <= levels[merkleLevel].count, "the tile lies in the tree")
        guard stored.count == width * SHA256Digest.byteCount else { return false }
        return levels[merkleLevel][first..<(first + width)].withUnsafeBytes { expected in
            stored.withUnsafeBytes { memcmp(expected.baseAddress!, $0.baseAddress!, stored.count) == 0 }
        }
    }
}
