import Domain
import Foundation
import Testing

/// The transparency-dev/merkle test vectors (RFC 6962 / RFC 9162 proofs): every file must verify
/// exactly when `wantErr` is false. Failures name the file.
@Suite("Merkle proofs against transparency-dev/merkle vectors")
struct MerkleConformanceTests {
    struct InclusionVector: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: String
        let leafHash: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    struct ConsistencyVector: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: String
        let root2: String
        let proof: [String]?
        let desc: String
        let wantErr: Bool
    }

    /// Leaf inputs of the RFC 6962 reference tree that the vectors' happy paths are taken from.
    static let referenceLeaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(MerkleTestBytes.fromHex)

    @Test("every inclusion vector verifies exactly when wantErr is false")
    func inclusionVectors() throws {
        let files = try Conformance.files(in: Conformance.folder("merkle/inclusion"), withExtension: "json")
        var passedCount = 0
        for file in files {
            let vector = try Self.load(InclusionVector.self, from: file)
            let error = MerkleTestBytes.failure {
                () throws(MerkleProofError) in
                try MerkleTree.verifyInclusion(
                    leafHash: Self.base64(vector.leafHash, file), index: vector.leafIdx, treeSize: vector.treeSize,
                    proof: (vector.proof ?? []).map { Self.base64($0, file) }, root: Self.base64(vector.root, file)
                )
            }
            if Self.check(file: file, desc: vector.desc, wantErr: vector.wantErr, error: error) { passedCount += 1 }
        }
        print("merkle/inclusion: \(passedCount) of \(files.count) vector files passed")
        #expect(files.count > 0, "no inclusion vectors were read")
        #expect(passedCount == files.count)
    }

    @Test("every consistency vector verifies exactly when wantErr is false")
    func consistencyVectors() throws {
        let files = try Conformance.files(in: Conformance.folder("merkle/consistency"), withExtension: "json")
        var passedCount = 0
        for file in files {
            let vector = try Self.load(ConsistencyVector.self, from: file)
            let error = MerkleTestBytes.failure {
                () throws(MerkleProofError) in
                try MerkleTree.verifyConsistency(
                    size1: vector.size1, size2: vector.size2,
                    root1: Self.base64(vector.root1, file), root2: Self.base64(vector.root2, file),
                    proof: (vector.proof ?? []).map { Self.base64($0, file) }
                )
            }
            if Self.check(file: file, desc: vector.desc, wantErr: vector.wantErr, error: error) { passedCount += 1 }
        }
        print("merkle/consistency: \(passedCount) of \(files.count) vector files passed")
        #expect(files.count > 0, "no consistency vectors were read")
        #expect(passedCount == files.count)
    }

    /// The happy paths come from the reference tree, so the generator must reproduce them
    /// hash for hash, from perfect subtrees only.
    @Test("the generator reproduces every happy-path proof of the reference tree")
    func generatorReproducesHappyPaths() throws {
        let levels = MerkleLevels(leafHashes: Self.referenceLeaves.map { MerkleTree.leafHash($0) })
        var checkedCount = 0
        let inclusionFiles = try Conformance.files(in: Conformance.folder("merkle/inclusion"), withExtension: "json")
        for file in inclusionFiles where file.lastPathComponent == "happy-path.json" {
            let vector = try Self.load(InclusionVector.self, from: file)
            let leafHash = MerkleTree.leafHash(Self.referenceLeaves[Int(vector.leafIdx)])
            #expect(leafHash == Self.base64(vector.leafHash, file), "\(file.path): leaf hash")
            let proof = try MerkleTree.inclusionProof(index: vector.leafIdx, treeSize: vector.treeSize, from: levels)
            #expect(proof == (vector.proof ?? []).map { Self.base64($0, file) }, "\(file.path): proof")
            #expect(try MerkleTree.root(treeSize: vector.treeSize, from: levels) == Self.base64(vector.root, file))
            checkedCount += 1
        }
        let consistencyFiles = try Conformance.files(in: Conformance.folder("merkle/consistency"), withExtension: "json")
        for file in consistencyFiles where file.lastPathComponent == "happy-path.json" {
            let vector = try Self.load(ConsistencyVector.self, from: file)
            let proof = try MerkleTree.consistencyProof(size1: vector.size1, size2: vector.size2, from: levels)
            #expect(proof == (vector.proof ?? []).map { Self.base64($0, file) }, "\(file.path): proof")
            #expect(try MerkleTree.root(treeSize: vector.size1, from: levels) == Self.base64(vector.root1, file))
            #expect(try MerkleTree.root(treeSize: vector.size2, from: levels) == Self.base64(vector.root2, file))
            checkedCount += 1
        }
        print("merkle happy paths reproduced by the generator: \(checkedCount)")
        #expect(checkedCount > 0, "no happy-path vectors were read")
    }

    // MARK: - Helpers

    /// Records a failure naming `file` unless the outcome is the one the vector wants.
    private static func check(file: URL, desc: String, wantErr: Bool, error: MerkleProofError?) -> Bool {
        switch (wantErr, error) {
        case (false, nil), (true, .some):
            return true
        case (false, let error?):
            Issue.record("\(file.path) (\(desc)): should verify, but failed: \(error)")
        case (true, nil):
            Issue.record("\(file.path) (\(desc)): should fail, but verified")
        }
        return false
    }

    private static func load<Vector: Decodable>(_ type: Vector.Type, from file: URL) throws -> Vector {
        do {
            return try JSONDecoder().decode(type, from: Data(contentsOf: file))
        } catch {
            Issue.record("\(file.path): cannot be read: \(error)")
            throw error
        }
    }

    /// Standard base64; an undecodable string is recorded against the file and read as no bytes.
    private static func base64(_ text: String, _ file: URL) -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            Issue.record("\(file.path): not base64: \(text)")
            return []
        }
        return [UInt8](data)
    }
}

/// Small byte helpers shared by the Merkle tests.
enum MerkleTestBytes {
    static func fromHex(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count.isMultiple(of: 2), "hex has an even number of digits")
        return stride(from: 0, to: digits.count, by: 2).map { offset in
            guard let byte = UInt8(String(decoding: digits[offset..<offset + 2], as: UTF8.self), radix: 16) else {
                preconditionFailure("not hex: \(hex)")
            }
            return byte
        }
    }

    /// The error `body` throws, or nil when it returns.
    static func failure(_ body: () throws(MerkleProofError) -> Void) -> MerkleProofError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// `hash` with bit `bit` (0 = most significant bit of byte 0) inverted.
    static func flipping(_ hash: [UInt8], bit: Int) -> [UInt8] {
        var flipped = hash
        flipped[bit / 8] ^= UInt8(0x80) >> (bit % 8)
        return flipped
    }
}
