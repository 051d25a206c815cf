import Domain

/// A stand-in signature scheme for core tests (real Ed25519 is tested with libsodium in
/// AdapterTests): signature = SHA-256(key ‖ message) ‖ SHA-256(message ‖ key).
struct FakeSignatures: SignatureVerifier {
    static func sign(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        SHA256.hash(key + message) + SHA256.hash(message + key)
    }

    func isValidEd25519Signature(_ signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        signature == FakeSignatures.sign(message, key: publicKey)
    }
}

/// A log built the way the server builds one (through `AuditLogHead`), with its export files.
struct LogFixture {
    let origin: String
    let keyBytes: [UInt8]
    var head: AuditLogHead
    var entries: [[UInt8]] = []

    init(origin: String = "custos.localhost/audit/0a000000-0000-4000-8000-00000000000a", keySeed: UInt8 = 1) {
        self.origin = origin
        self.keyBytes = SHA256.hash([keySeed])
        self.head = AuditLogHead(origin: origin)
    }

    var key: NoteVerifierKey { try! NoteVerifierKey(name: origin, publicKey: keyBytes) }

    mutating func append(count: Int, startMs: UInt64 = 1_795_512_600_000) {
        for n in 0..<count {
            let payload: CanonicalJSON = [
                "outcome": "success", "resource": ["type": "transaction", "id": .string("t-\(entries.count)")],
                "details": ["amount_minor": CanonicalJSON(exactly: n * 100 + 1)!],
            ]
            let leaf = try! head.append(eventType: "transaction.recorded", actor: "client:ops", payload: payload, nowMs: startMs + UInt64(n))
            entries.append(leaf.encoded)
        }
    }

    /// A checkpoint of the first `size` entries, signed by `signingKey` (this log's key by default).
    func checkpointNote(size: Int? = nil, signingKey: [UInt8]? = nil) -> String {
        let size = size ?? entries.count
        var levels = MerkleLevels()
        for entry in entries.prefix(size) { levels.append(leafHash: MerkleTree.leafHash(entry)) }
        let root = try! MerkleTree.root(treeSize: UInt64(size), from: levels)
        let checkpoint = try! Checkpoint(origin: origin, size: UInt64(size), rootHash: root)
        let signer = signingKey ?? keyBytes
        let signerKey = try! NoteVerifierKey(name: origin, publicKey: signer)
        let signature = SignedNote.Signature(
            keyName: origin, keyID: signerKey.keyID, signature: FakeSignatures.sign(Array(checkpoint.text.utf8), key: signer)
        )
        return try! SignedNote(text: checkpoint.text, signatures: [signature]).encoded
    }

    func files() -> [String: [UInt8]] {
        let list = try! TiledLogExport.files(entries: entries, checkpointNote: checkpointNote())
        return Dictionary(uniqueKeysWithValues: list.map { ($0.path, $0.bytes) })
    }
}

/// An export held in memory, for tampering with.
struct MemoryExport: AuditLogSource {
    var source: ExportFilesSource
    var files: [String: [UInt8]] {
        get { source.files }
        set { source.files = newValue }
    }

    init(files: [String: [UInt8]]) {
        source = ExportFilesSource(files.map { TiledLogExport.File(path: $0.key, bytes: $0.value) })
    }

    func checkpointNote() throws -> String { try source.checkpointNote() }
    func entryBundle(index: UInt64, width: Int) throws -> [UInt8] { try source.entryBundle(index: index, width: width) }
    func tile(level: Int, index: UInt64, width: Int) throws -> [UInt8]? { try source.tile(level: level, index: index, width: width) }

    /// Rewrites the entries of the bundle holding `index` (entries may be added or removed).
    mutating func editBundle(holding index: Int, size: Int, _ edit: (inout [[UInt8]], Int) -> Void) {
        let bundle = index / 256
        let width = min(256, size - bundle * 256)
        let path = TilePath.entries(index: UInt64(bundle), partialWidth: width == 256 ? nil : width)
        var entries = try! EntryBundle.decode(files[path]!)
        edit(&entries, index % 256)
        files[path] = try! EntryBundle.encode(entries)
    }
}
