import Domain
import Testing

@Suite struct AuditLeafTests {
    func leaf(index: UInt64 = 0, payload: String = #"{"outcome":"success"}"#) throws -> AuditLeaf {
        try AuditLeaf(
            origin: "custos.localhost/audit/0a000000-0000-4000-8000-00000000000a", index: index,
            timestampMs: 1_795_512_600_123, previousLeafHash: AuditLeaf.zeroHash,
            eventType: "transaction.recorded", actor: "client:ops", payload: Array(payload.utf8)
        )
    }

    @Test func encodesTheDocumentedLayout() throws {
        let bytes = try leaf(index: 258).encoded
        #expect(bytes[0] == 1)
        let originLength = Int(bytes[1])
        #expect(originLength == "custos.localhost/audit/0a000000-0000-4000-8000-00000000000a".utf8.count)
        let afterOrigin = 2 + originLength
        #expect(Array(bytes[afterOrigin..<afterOrigin + 8]) == [0, 0, 0, 0, 0, 0, 1, 2], "index is big-endian")
        let payloadCount = #"{"outcome":"success"}"#.utf8.count
        let prefixAt = bytes.count - payloadCount - 2
        #expect(Array(bytes[prefixAt..<prefixAt + 2]) == [0, UInt8(payloadCount)], "payload length prefix is uint16")
        #expect(bytes.count == 1 + 1 + originLength + 8 + 8 + 32 + 1 + "transaction.recorded".utf8.count
            + 1 + "client:ops".utf8.count + 2 + payloadCount)
    }

    @Test func roundTripsAndHashesWithTheLeafPrefix() throws {
        let original = try leaf()
        let decoded = try AuditLeaf(decoding: original.encoded)
        #expect(decoded == original)
        #expect(original.leafHash == SHA256.hash([0x00] + original.encoded))
    }

    @Test func everyTruncationAndAnyTrailingByteIsRejected() throws {
        let bytes = try leaf().encoded
        for length in 0..<bytes.count {
            #expect(throws: AuditLeafError.self) { try AuditLeaf(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: AuditLeafError.trailingBytes(count: 1)) { try AuditLeaf(decoding: bytes + [0]) }
        var unknownVersion = bytes
        unknownVersion[0] = 2
        #expect(throws: AuditLeafError.unknownVersion(2)) { try AuditLeaf(decoding: unknownVersion) }
    }

    @Test func sizesAreBounded() throws {
        let big = String(repeating: "a", count: 65_000)
        #expect(throws: AuditLeafError.self) { try leaf(payload: "\"\(big)\(big)\"") }
        let fits = try leaf(payload: "\"" + String(repeating: "a", count: 65_300) + "\"")
        #expect(fits.encoded.count <= AuditLeaf.encodedBytesMax)
    }

    @Test(arguments: ["transaction.recorded", "log.key_rotated", "a.b.c9_x"])
    func acceptsEventTypes(type: String) { #expect(AuditLeaf.isValidEventType(type)) }

    @Test(arguments: ["transaction", "Transaction.recorded", "transaction..recorded", ".x.y", "9x.y", "x.y-z", ""])
    func rejectsEventTypes(type: String) { #expect(!AuditLeaf.isValidEventType(type)) }
}

@Suite struct NoteVerifierKeyTests {
    /// Base64 key data may hold '+': only the first two '+' separate the fields.
    @Test func keyDataMayContainPlusSigns() throws {
        for seed in 0..<64 {
            let publicKey = SHA256.hash([UInt8(seed)])
            let key = try NoteVerifierKey(name: "custos.localhost/audit/x", publicKey: publicKey)
            #expect(try NoteVerifierKey(parsing: key.description) == key)
        }
        let withPlus = (0..<64).map { try! NoteVerifierKey(name: "n", publicKey: SHA256.hash([UInt8($0)])) }
            .filter { $0.description.split(separator: "+").count > 3 }
        #expect(!withPlus.isEmpty, "the sample must include key data with '+'")
    }

    @Test(arguments: ["", "name+abc", "name+zzzzzzzz+AQ==", "name+00000000+" + String(repeating: "A", count: 44), "na me+0+0"])
    func rejectsMalformedKeys(text: String) {
        #expect(throws: NoteError.self) { try NoteVerifierKey(parsing: text) }
    }
}

@Suite struct AuditLogHeadTests {
    @Test func aStoredHeadThatCannotBeAHeadIsRefused() {
        #expect(AuditLogHead.restored(origin: "o", size: 0, lastLeafHash: AuditLeaf.zeroHash, lastTimestampMs: 0) != nil)
        #expect(AuditLogHead.restored(origin: "o", size: 0, lastLeafHash: [UInt8](repeating: 1, count: 32), lastTimestampMs: 0) == nil)
        #expect(AuditLogHead.restored(origin: "o", size: 3, lastLeafHash: [1, 2], lastTimestampMs: 0) == nil)
    }

    @Test func timeNeverRunsBackwards() throws {
        var head = AuditLogHead(origin: "custos.localhost/audit/t")
        let first = try head.append(eventType: "a.b", actor: "x", payload: [:], nowMs: 5_000)
        let second = try head.append(eventType: "a.b", actor: "x", payload: [:], nowMs: 4_000)
        #expect(second.timestampMs == first.timestampMs)
        #expect(second.previousLeafHash == first.leafHash)
        #expect(head.size == 2)
    }
}
