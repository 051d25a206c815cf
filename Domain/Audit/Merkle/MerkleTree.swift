/// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256 (the `RFC9162_SHA256` algorithm), the
/// math behind the tamper-evident audit log.
///
/// A tree over `n` leaves is defined by its Merkle tree hash, MTH (RFC 9162 §2.1.1). Leaves and
/// interior nodes are hashed with different one-byte prefixes so that a leaf can never be passed
/// off as a node. Indices and sizes are `UInt64`, like the `tree_size` of a checkpoint.
///
/// Proof generation lives in `MerkleTree+Proofs.swift`, verification in
/// `MerkleTree+Verification.swift`; verification never calls the generator.
public enum MerkleTree {
    /// The length of every hash in the tree: leaf hashes, node hashes, roots and proof hashes.
    public static let hashByteCount = SHA256.digestByteCount

    /// Proofs never exceed this many hashes. A tree of at most 2^64 - 1 leaves is 64 levels
    /// deep, so an inclusion proof has at most 64 hashes; a consistency proof may add one more,
    /// the hash of the old tree's last subtree (for example from 3 to 2^63 + 1 leaves).
    public static let proofHashCountMax = UInt64.bitWidth + 1

    /// The root of the empty tree: SHA-256 of the empty string,
    /// `e3b0c442…7852b855`.
    public static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// The hash of one leaf: SHA-256(0x00 ‖ leaf).
    public static func leafHash<Bytes: Sequence<UInt8>>(_ leaf: Bytes) -> [UInt8] {
        let hashed: [UInt8]? = leaf.withContiguousStorageIfAvailable { PortableSHA256().leafHash(UnsafeRawBufferPointer($0)).bytes }
        return hashed ?? Array(leaf).withUnsafeBytes { PortableSHA256().leafHash($0).bytes }
    }

    /// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
    ///
    /// Defined for children of any length (the RFC 6962 known answers hash short strings); inside
    /// a tree both children are always `hashByteCount` bytes long.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        if let left = SHA256Digest(left), let right = SHA256Digest(right) {
            return PortableSHA256().nodeHash(left, right).bytes
        }
        var hasher = SHA256()
        hasher.update(CollectionOfOne(UInt8(0x01)))
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }

    /// The Merkle tree hash MTH(D[n]) of RFC 9162 §2.1.1, computed recursively from all leaf
    /// hashes: the empty tree hashes to `emptyRoot`, one leaf to its leaf hash, and `n > 1`
    /// leaves to `nodeHash(MTH(D[0:k]), MTH(D[k:n]))` where `k` is the largest power of two
    /// smaller than `n`.
    ///
    /// This is the reference definition; `root(treeSize:from:)` gives the same answer from
    /// O(log n) stored subtree hashes.
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        for leafHash in leafHashes {
            precondition(leafHash.count == hashByteCount, "a leaf hash is \(hashByteCount) bytes")
        }
        if leafHashes.isEmpty { return emptyRoot }
        return treeHash(leafHashes[...])
    }

    private static func treeHash(_ leafHashes: ArraySlice<[UInt8]>) -> [UInt8] {
        precondition(!leafHashes.isEmpty)
        if leafHashes.count == 1 { return leafHashes[leafHashes.startIndex] }
        let split = leafHashes.startIndex + Int(largestPowerOfTwo(below: UInt64(leafHashes.count)))
        return nodeHash(treeHash(leafHashes[..<split]), treeHash(leafHashes[split...]))
    }

    /// The largest power of two strictly smaller than `size` (the split point `k` of RFC 9162).
    static func largestPowerOfTwo(below size: UInt64) -> UInt64 {
        precondition(size >= 2, "only a tree of two or more leaves is split")
        return UInt64(1) << (UInt64.bitWidth - 1 - (size - 1).leadingZeroBitCount)
    }
}

/// The two tree hashes over an injected SHA-256 (the verifier's hot path): fixed-size digests,
/// no allocation.
extension SHA256Hashing {
    /// RFC 6962 leaf hash: SHA-256(0x00 ‖ entry).
    func leafHash(_ entry: UnsafeRawBufferPointer) -> SHA256Digest {
        digest(prefix: 0x00, entry)
    }

    /// RFC 6962 node hash: SHA-256(0x01 ‖ left ‖ right).
    func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        withUnsafeBytes(of: (left, right)) { digest(prefix: 0x01, $0) }
    }
}
