import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MemoryAdapters
import NIOCore
import SodiumAdapters
import SystemAdapters
import Testing
import TestSupport

/// The audit API: a client can fetch its log's checkpoint, entries and proofs and check every
/// one of them itself against the verifier key.
@Suite struct AuditAPITests {
    let repository = InMemoryTransactionRepository()
    let keeper: InMemoryRecordKeeper
    let origin = AuditOrigins().origin(of: .tenant(Fixtures.tenantA))

    init() {
        keeper = InMemoryRecordKeeper(transactions: repository, clock: ManualClock(Fixtures.now))
    }

    func recordThreeAndCheckpoint(_ client: some TestClientProtocol) async throws {
        for _ in 0..<3 {
            _ = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: transactionJSON())
            )
        }
        try await SignCheckpoint(store: keeper, signer: testKeyring, verifier: try SodiumSignatureVerifier(), clock: SystemClock())(origin: origin)
    }

    func base64(_ value: Any?) -> [UInt8]? {
        (value as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) }
    }

    @Test func checkpointEntriesAndProofsVerifyAgainstThePublishedKey() async throws {
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            try await recordThreeAndCheckpoint(client)
            let keysResponse = try await client.execute(uri: "/v1/audit/keys", method: .get, headers: jsonHeaders())
            let keyText = try #require((try object(keysResponse)["keys"] as? [String])?.first)
            let key = try NoteVerifierKey(parsing: keyText)

            let checkpointResponse = try await client.execute(uri: "/v1/audit/checkpoint", method: .get, headers: jsonHeaders())
            #expect(checkpointResponse.headers[.contentType] == "text/plain; charset=utf-8")
            let note = try SignedNote(parsing: String(buffer: checkpointResponse.body))
            try note.verify(trusting: [key], with: try SodiumSignatureVerifier())
            let checkpoint = try Checkpoint(parsing: note.text)
            #expect(checkpoint.size == 3)

            let page = try object(try await client.execute(uri: "/v1/audit/entries?start=0&limit=10", method: .get, headers: jsonHeaders()))
            let entries = try #require(page["entries"] as? [[String: Any]])
            #expect(entries.count == 3)
            let leafHashes = try entries.map { entry -> [UInt8] in
                let leaf = try #require(base64(entry["leaf"]))
                #expect(MerkleTree.leafHash(leaf) == base64(entry["leaf_hash"]))
                return MerkleTree.leafHash(leaf)
            }
            #expect(MerkleTree.root(leafHashes: leafHashes) == checkpoint.rootHash)
            #expect(page["next_cursor"] is NSNull && page["tree_size"] as? Int == 3)

            // The same entries in pages of two, through the opaque cursor.
            let first = try object(try await client.execute(uri: "/v1/audit/entries?limit=2", method: .get, headers: jsonHeaders()))
            #expect((first["entries"] as? [[String: Any]])?.compactMap { $0["index"] as? Int } == [0, 1])
            let cursor = try #require(first["next_cursor"] as? String)
            let second = try object(try await client.execute(uri: "/v1/audit/entries?limit=2&cursor=\(cursor)", method: .get, headers: jsonHeaders()))
            #expect((second["entries"] as? [[String: Any]])?.compactMap { $0["index"] as? Int } == [2])
            #expect(second["next_cursor"] is NSNull)
            let mixed = try await client.execute(uri: "/v1/audit/entries?start=0&cursor=\(cursor)", method: .get, headers: jsonHeaders())
            try expectProblem(mixed, status: .badRequest, slug: "bad-request")
            let foreignList = try await client.execute(uri: "/v1/audit/entries?cursor=\(PageCursor(list: "transactions", position: .index(1)).token)",
                                                       method: .get, headers: jsonHeaders())
            try expectProblem(foreignList, status: .badRequest, slug: "invalid-cursor")

            let inclusion = try object(try await client.execute(uri: "/v1/audit/proofs/inclusion?index=1", method: .get, headers: jsonHeaders()))
            let proof = try #require((inclusion["hashes"] as? [String])?.compactMap { Data(base64Encoded: $0).map { Array($0) } })
            try MerkleTree.verifyInclusion(leafHash: leafHashes[1], index: 1, treeSize: 3, proof: proof, root: checkpoint.rootHash)

            let consistency = try object(try await client.execute(uri: "/v1/audit/proofs/consistency?from=2", method: .get, headers: jsonHeaders()))
            let hashes = try #require((consistency["hashes"] as? [String])?.compactMap { Data(base64Encoded: $0).map { Array($0) } })
            try MerkleTree.verifyConsistency(
                size1: 2, size2: 3, root1: MerkleTree.root(leafHashes: Array(leafHashes.prefix(2))), root2: checkpoint.rootHash, proof: hashes
            )
        }
    }

    /// A refused POST writes no transaction, but the attempt is audited, without its content.
    @Test func rejectedPostsAreAuditedWithoutTheirContent() async throws {
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            _ = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: #"{"secret-ish": "#)
            )
            _ = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(),
                body: ByteBuffer(string: transactionJSON(["counterparty_account": "NOT VALID 4111111111111111"]))
            )
            _ = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: jsonHeaders(),
                body: ByteBuffer(string: transactionJSON(["4111111111111111 jane@example.org": 1]))
            )
        }
        let entries = try keeper.entries(of: .tenant(Fixtures.tenantA)).map { try AuditLeaf(decoding: $0) }
        #expect(entries.count == 3)
        #expect(String(decoding: entries[2].payload, as: UTF8.self).contains(#""unknown_field_count":1"#),
                "unknown member names are counted, never recorded")
        let payloads = entries.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(payloads[0].contains(#""reason":"malformed-json""#) && payloads[0].contains(#""outcome":"failure""#))
        #expect(payloads[1].contains(#""field":"counterparty_account""#))
        #expect(!payloads.joined().contains("4111") && !payloads.joined().contains("secret"), "no rejected content")
        #expect(repository.count == 0)
    }

    @Test func badQueriesAreFieldErrorsAndOtherTenantsSeeNothing() async throws {
        try await makeApp(repository: repository, keeper: keeper).test(.router) { client in
            try await recordThreeAndCheckpoint(client)
            let missing = try await client.execute(uri: "/v1/audit/entries?limit=x", method: .get, headers: jsonHeaders())
            let problem = try expectProblem(missing, status: .unprocessableContent, slug: "validation-failed")
            #expect(Set((problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }) == ["limit"])
            let beyond = try await client.execute(uri: "/v1/audit/proofs/inclusion?index=3", method: .get, headers: jsonHeaders())
            try expectProblem(beyond, status: .unprocessableContent, slug: "validation-failed")
            let badTo = try expectProblem(
                try await client.execute(uri: "/v1/audit/proofs/consistency?from=1&to=9", method: .get, headers: jsonHeaders()),
                status: .unprocessableContent, slug: "validation-failed"
            )
            #expect((badTo["errors"] as? [[String: Any]])?.first?["field"] as? String == "to")
            let tooLarge = try await client.execute(uri: "/v1/audit/entries?start=0&limit=1001", method: .get, headers: jsonHeaders())
            try expectProblem(tooLarge, status: .unprocessableContent, slug: "validation-failed")
            let foreign = try await client.execute(uri: "/v1/audit/checkpoint", method: .get, headers: jsonHeaders(tenant: Fixtures.tenantB))
            try expectProblem(foreign, status: .notFound, slug: "audit-log-empty")
        }
    }
}
