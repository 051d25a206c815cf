import Domain
import Foundation
import SodiumAdapters
import Testing

/// C2SP signed-note and tlog-checkpoint vectors from the shared conformance data, verified with
/// the core's note parser and libsodium's Ed25519.
@Suite struct SignedNoteConformanceTests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            struct CheckpointFields: Decodable {
                let origin: String
                let size: UInt64
                let rootB64: String
            }
            let name: String
            let verifierKey: String
            let note: String
            let want: String
            let seedHex: String?
            let signerName: String?
            let checkpoint: CheckpointFields?
        }
        let cases: [Case]
    }

    static func vectors() throws -> [Vectors.Case] {
        let base = ProcessInfo.processInfo.environment["CUSTOS_CONFORMANCE_DIR"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/conformance")
        let file = base.appendingPathComponent("signed-note/vectors.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            Issue.record("conformance data not found at \(file.path); set CUSTOS_CONFORMANCE_DIR to the shared/conformance folder")
            return []
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Vectors.self, from: data).cases
    }

    @Test func everyVectorGivesItsExpectedVerdict() throws {
        let verifier = try SodiumSignatureVerifier()
        let cases = try Self.vectors()
        #expect(cases.count >= 6)
        for vector in cases {
            let key = try NoteVerifierKey(parsing: vector.verifierKey)
            #expect(key.description == vector.verifierKey, "\(vector.name): key text round-trips")
            let note = try SignedNote(parsing: vector.note)
            #expect(note.encoded == vector.note, "\(vector.name): note text round-trips")
            let verdict: String
            do {
                try note.verify(trusting: [key], with: verifier)
                verdict = "verified"
            } catch .invalidSignature {
                verdict = "invalid_signature"
            } catch .noTrustedSignature {
                verdict = "no_trusted_signature"
            } catch {
                verdict = "error: \(error)"
            }
            #expect(verdict == vector.want, "\(vector.name)")
        }
    }

    @Test func signingFromTheSeedReproducesTheSignatureAndKey() throws {
        let seeded = try Self.vectors().filter { $0.seedHex != nil }
        #expect(!seeded.isEmpty)
        for vector in seeded {
            let seed = try #require(hexBytes(vector.seedHex ?? ""))
            let signer = try SodiumNoteSigner(name: try #require(vector.signerName), seed: seed)
            #expect(signer.verifierKey.description == vector.verifierKey, "\(vector.name)")
            let original = try SignedNote(parsing: vector.note)
            let resigned = try signer.signedNote(text: original.text)
            #expect(original.signatures.contains(try #require(resigned.signatures.first)), "\(vector.name)")
            if let fields = vector.checkpoint {
                let checkpoint = try Checkpoint(parsing: original.text)
                #expect(checkpoint.origin == fields.origin)
                #expect(checkpoint.size == fields.size)
                #expect(Data(checkpoint.rootHash).base64EncodedString() == fields.rootB64)
                #expect(checkpoint.text == original.text)
            }
        }
    }

    @Test func aSignatureOverAlteredTextFails() throws {
        let signer = try SodiumNoteSigner(name: "custos.localhost/audit/test", seed: [UInt8](repeating: 7, count: 32))
        let checkpoint = try Checkpoint(origin: "custos.localhost/audit/test", size: 3, rootHash: [UInt8](repeating: 1, count: 32))
        let note = try signer.signedNote(text: checkpoint.text)
        let verifier = try SodiumSignatureVerifier()
        #expect(try note.verify(trusting: [signer.verifierKey], with: verifier) == [signer.verifierKey])
        let forged = try SignedNote(text: note.text.replacingOccurrences(of: "\n3\n", with: "\n4\n"), signatures: note.signatures)
        #expect(throws: NoteError.invalidSignature(keyName: "custos.localhost/audit/test")) {
            try forged.verify(trusting: [signer.verifierKey], with: verifier)
        }
        let stranger = try SodiumNoteSigner(name: "custos.localhost/audit/test", seed: [UInt8](repeating: 8, count: 32))
        #expect(throws: NoteError.noTrustedSignature) { try note.verify(trusting: [stranger.verifierKey], with: verifier) }
    }

    func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
