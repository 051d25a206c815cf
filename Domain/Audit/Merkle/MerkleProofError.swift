/// Which hash handed to a verifier an error is about.
public enum MerkleHashRole: Hashable, Sendable, CustomStringConvertible {
    case leafHash
    /// The root of an inclusion proof's tree.
    case root
    /// The root of the older tree of a consistency proof.
    case root1
    /// The root of the newer tree of a consistency proof.
    case root2
    /// Hash `position` (from 0) of the proof.
    case proofHash(position: Int)

    public var description: String {
        switch self {
        case .leafHash: "leaf hash"
        case .root: "root"
        case .root1: "root1"
        case .root2: "root2"
        case let .proofHash(position): "proof hash \(position)"
        }
    }
}

/// Why an inclusion or consistency proof was rejected. Any of these means the claim is not
/// proven; the cases exist so that an auditor can tell a malformed proof from a forged one.
public enum MerkleProofError: DomainError, Equatable, CustomStringConvertible {
    /// An inclusion proof needs `index < treeSize`; nothing is included in the empty tree.
    case indexBeyondTreeSize(index: UInt64, treeSize: UInt64)
    /// A consistency proof needs `size1 <= size2`.
    case size1BeyondSize2(size1: UInt64, size2: UInt64)
    /// A consistency proof from the empty tree is meaningless and never verifies, whatever the
    /// other arguments (as in transparency-dev/merkle and its test vectors).
    case consistencyFromEmptyTree(size2: UInt64)
    /// When `size1 == size2` the proof must be empty.
    case proofNotEmpty(hashCount: Int)
    /// The proof does not have the one length the tree sizes and index call for.
    case wrongProofLength(hashCountExpected: Int, hashCountActual: Int)
    /// A hash is not `MerkleTree.hashByteCount` bytes long.
    case badHashLength(MerkleHashRole, byteCount: Int)
    /// The proof is well formed, but the root it leads to is not the root given.
    case rootMismatch(MerkleHashRole)

    public var slug: String {
        switch self {
        case .indexBeyondTreeSize: "merkle-proof-index-beyond-tree-size"
        case .size1BeyondSize2: "merkle-proof-size1-beyond-size2"
        case .consistencyFromEmptyTree: "merkle-proof-consistency-from-empty-tree"
        case .proofNotEmpty: "merkle-proof-not-empty"
        case .wrongProofLength: "merkle-proof-wrong-length"
        case .badHashLength: "merkle-proof-bad-hash-length"
        case .rootMismatch: "merkle-proof-root-mismatch"
        }
    }

    public var description: String {
        switch self {
        case let .indexBeyondTreeSize(index, treeSize):
            "leaf index \(index) is not below tree size \(treeSize)"
        case let .size1BeyondSize2(size1, size2):
            "size1 \(size1) is greater than size2 \(size2)"
        case let .consistencyFromEmptyTree(size2):
            "a consistency proof from the empty tree to size \(size2) proves nothing"
        case let .proofNotEmpty(hashCount):
            "the tree sizes are equal, so the proof must be empty, but it has \(hashCount) hashes"
        case let .wrongProofLength(hashCountExpected, hashCountActual):
            "the proof has \(hashCountActual) hashes; these sizes need exactly \(hashCountExpected)"
        case let .badHashLength(role, byteCount):
            "the \(role) is \(byteCount) bytes long, not \(MerkleTree.hashByteCount)"
        case let .rootMismatch(role):
            "the proof does not lead to the given \(role)"
        }
    }
}
