@testable import Domain
import Foundation
import Testing

/// The one-pass canonical-form check (`CanonicalJSON.isCanonicalObject`) against the reference
/// it replaces on the verifier's path: parse, require an object, encode again, compare bytes.
/// Both must agree on every input, canonical or not.
@Suite("CanonicalJSON: one-pass canonical-form check")
struct CanonicalJSONValidatorTests {
    /// The definition the verifier used before: what `isCanonicalObject` must equal.
    static func reference(_ bytes: [UInt8]) -> Bool {
        guard let value = try? CanonicalJSON.parse(bytes), case .object = value else { return false }
        return value.canonicalBytes == bytes
    }

    func expectAgreement(_ bytes: [UInt8], _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Self.reference(bytes)
        #expect(
            CanonicalJSON.isCanonicalObject(bytes) == expected,
            "\(comment) \(String(decoding: bytes, as: UTF8.self).debugDescription) (reference: \(expected))",
            sourceLocation: sourceLocation
        )
    }

    @Test("known answers at each rule's edge")
    func edges() {
        let accepted = [
            #"{}"#, #"{"a":0}"#, #"{"a":-1}"#, #"{"a":9007199254740991}"#, #"{"a":-9007199254740991}"#,
            #"{"a":[true,false,null,"",[],{}]}"#, #"{"a":"\u001f\u0000\u000b\b\t\n\f\r\"\\/"}"#,
            #"{"":1,"a":2,"aa":3,"b":4}"#, "{\"\u{7F}\":1}", "{\"é\":1,\"\u{FFFF}\":2}",
            // U+1F600 sorts before U+E000 by UTF-16 code units (a high surrogate is below 0xE000).
            "{\"\u{1F600}\":1,\"\u{E000}\":2}", #"{"\n":1,"\"":2,"\\":3}"#,
        ]
        let refused = [
            "", "{", "}", "[]", "1", #""a""#, "null", " {}", "{} ", "{}\n", #"{ }"#, #"{"a": 1}"#, #"{"a":1 }"#,
            #"{"a":-0}"#, #"{"a":01}"#, #"{"a":1.0}"#, #"{"a":1e2}"#, #"{"a":9007199254740992}"#,
            #"{"a":-9007199254740992}"#, #"{"a":12345678901234567}"#, #"{"a":+1}"#, #"{"a":-}"#,
            #"{"a":"\u001F"}"#, #"{"a":"\u0008"}"#, #"{"a":"\u000a"}"#, #"{"a":"\u0041"}"#, #"{"a":"\/"}"#,
            #"{"a":"\u007f"}"#, #"{"a":"\ud83d\ude00"}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{1}\"}", #"{"a":"\u00"}"#,
            #"{"b":1,"a":2}"#, #"{"a":1,"a":2}"#, "{\"\u{E000}\":1,\"\u{1F600}\":2}", #"{"\"":1,"\n":2}"#,
            #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":True}"#, #"{"a":[1,]}"#, #"{"a":1,}"#, #"{,"a":1}"#, #"{"a"1}"#,
            #"{"a":1}{}"#, #"{"a":"unterminated}"#, #"{a:1}"#,
        ]
        for text in accepted {
            #expect(CanonicalJSON.isCanonicalObject(Array(text.utf8)), "\(text.debugDescription)")
            expectAgreement(Array(text.utf8))
        }
        for text in refused {
            #expect(!CanonicalJSON.isCanonicalObject(Array(text.utf8)), "\(text.debugDescription)")
            expectAgreement(Array(text.utf8))
        }
    }

    @Test("malformed UTF-8 is refused in names and values")
    func malformedUTF8() {
        let sequences: [[UInt8]] = [
            [0x80], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3],
        ]
        for sequence in sequences {
            let inValue = Array(#"{"a":""#.utf8) + sequence + Array(#""}"#.utf8)
            let inName = Array(#"{""#.utf8) + sequence + Array(#"":1}"#.utf8)
            #expect(!CanonicalJSON.isCanonicalObject(inValue))
            #expect(!CanonicalJSON.isCanonicalObject(inName))
            expectAgreement(inValue)
            expectAgreement(inName)
        }
    }

    @Test("nesting up to depthMax is accepted, one more level refused")
    func depth() {
        func nested(_ depth: Int) -> [UInt8] {
            Array(#"{"a":"#.utf8) + Array(repeating: UInt8(ascii: "["), count: depth - 1)
                + Array(repeating: UInt8(ascii: "]"), count: depth - 1) + Array("}".utf8)
        }
        #expect(CanonicalJSON.isCanonicalObject(nested(CanonicalJSON.depthMax)))
        #expect(!CanonicalJSON.isCanonicalObject(nested(CanonicalJSON.depthMax + 1)))
        expectAgreement(nested(CanonicalJSON.depthMax))
        expectAgreement(nested(CanonicalJSON.depthMax + 1))
    }

    @Test("the RFC 8785 vectors, inputs and outputs, get the reference's answer")
    func conformanceVectors() throws {
        let folder = try Conformance.folder("jcs")
        var checked = 0
        for sub in ["input", "output"] {
            for url in try Conformance.files(in: folder.appendingPathComponent(sub), withExtension: "json") {
                let bytes = Array(try Data(contentsOf: url))
                expectAgreement(bytes, url.lastPathComponent)
                // The same value wrapped in an object, so that array vectors reach the validator too.
                if let value = try? CanonicalJSON.parse(bytes) {
                    let wrapped = CanonicalJSON.object(.init(["vector": value])).canonicalBytes
                    #expect(CanonicalJSON.isCanonicalObject(wrapped), "\(url.lastPathComponent)")
                    expectAgreement(Array(#"{"vector":"#.utf8) + bytes + Array("}".utf8), url.lastPathComponent)
                }
                checked += 1
            }
        }
        #expect(checked >= 10)
    }

    @Test("random canonical payloads are accepted; random edits of them agree with the reference")
    func randomPayloadsAndEdits() {
        var random = SplitMix64(seed: 0x5EED_CA70)
        var acceptedCount = 0
        var refusedCount = 0
        for _ in 0..<3_000 {
            let value = RandomJSON.object(depth: 0, &random)
            let canonical = value.canonicalBytes
            #expect(CanonicalJSON.isCanonicalObject(canonical), "\(String(decoding: canonical, as: UTF8.self))")
            for _ in 0..<6 {
                let edited = RandomJSON.edit(canonical, &random)
                let verdict = CanonicalJSON.isCanonicalObject(edited)
                #expect(verdict == Self.reference(edited), "\(String(decoding: edited, as: UTF8.self).debugDescription)")
                if verdict { acceptedCount += 1 } else { refusedCount += 1 }
            }
        }
        // Both answers were exercised, not just one.
        #expect(acceptedCount > 100 && refusedCount > 1_000)
    }

    @Test("random JSON texts, written canonically or not, agree with the reference")
    func randomTexts() {
        var random = SplitMix64(seed: 0x7E47)
        var acceptedCount = 0
        for _ in 0..<20_000 {
            let text = RandomJSON.text(depth: 0, topLevel: true, &random)
            let verdict = CanonicalJSON.isCanonicalObject(text)
            #expect(verdict == Self.reference(text), "\(String(decoding: text, as: UTF8.self).debugDescription)")
            if verdict { acceptedCount += 1 }
        }
        #expect(acceptedCount > 500)
    }
}

/// Random JSON for the tests above: values (encoded canonically), free-form texts (written
/// canonically or with one of the liberties JSON allows), and byte edits.
enum RandomJSON {
    static let nameAlphabet: [String] = ["a", "b", "A", "_", "é", "\u{E000}", "\u{FFFD}", "\u{1F600}", "\u{10000}", "\n", "\"", "\\", "\u{1}", "/", "\u{7F}", "aa", ""]

    static func string<R: RandomNumberGenerator>(_ random: inout R, length: Int = 3) -> String {
        (0..<Int.random(in: 0...length, using: &random)).map { _ in nameAlphabet.randomElement(using: &random)! }.joined()
    }

    static func value<R: RandomNumberGenerator>(depth: Int, _ random: inout R) -> CanonicalJSON {
        let limit = CanonicalJSON.SafeInteger.magnitudeMax
        switch Int.random(in: 0..<(depth < 3 ? 8 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .init(exactly: [0, 1, -1, limit, -limit, 10, -10].randomElement(using: &random)!)!
        case 3: return .init(exactly: Int64.random(in: -limit...limit, using: &random))!
        case 4, 5: return .string(string(&random, length: 6))
        case 6: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in value(depth: depth + 1, &random) })
        default: return object(depth: depth + 1, &random)
        }
    }

    static func object<R: RandomNumberGenerator>(depth: Int, _ random: inout R) -> CanonicalJSON {
        var members: [String: CanonicalJSON] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            members[string(&random)] = value(depth: depth + 1, &random)
        }
        return .object(.init(members))
    }

    /// Bytes that matter to the grammar, for edits.
    static let editBytes: [UInt8] = Array(#"{}[],:"\/ -01234589.eEtrufalsn\#u{7F}"#.utf8) + [0x00, 0x0A, 0x1F, 0x80, 0xC3, 0xE0, 0xED, 0xEE, 0xF0, 0xF4, 0xFF]

    static func edit<R: RandomNumberGenerator>(_ bytes: [UInt8], _ random: inout R) -> [UInt8] {
        var edited = bytes
        guard !edited.isEmpty else { return edited }
        let at = Int.random(in: 0..<edited.count, using: &random)
        switch Int.random(in: 0..<5, using: &random) {
        case 0: edited[at] = editBytes.randomElement(using: &random)!
        case 1: edited.insert(editBytes.randomElement(using: &random)!, at: at)
        case 2: edited.remove(at: at)
        case 3: edited.swapAt(at, Int.random(in: 0..<edited.count, using: &random))
        default:
            let end = min(edited.count, at + Int.random(in: 1...8, using: &random))
            edited.insert(contentsOf: edited[at..<end], at: at)
        }
        return edited
    }

    /// A JSON text written by hand: members in random order, numbers and escapes sometimes in a
    /// form that is valid JSON but not canonical, whitespace now and then.
    static func text<R: RandomNumberGenerator>(depth: Int, topLevel: Bool, _ random: inout R) -> [UInt8] {
        func pick(_ oneIn: Int) -> Bool { Int.random(in: 0..<oneIn, using: &random) == 0 }
        var out: [UInt8] = []
        if pick(60) { out.append(UInt8(ascii: " ")) }
        switch topLevel ? 0 : Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &random) {
        case 0:
            var names = (0..<Int.random(in: 0...4, using: &random)).map { _ in string(&random, length: 2) }
            if !pick(4) { names.sort { $0.utf16.lexicographicallyPrecedes($1.utf16) } }
            out.append(UInt8(ascii: "{"))
            for (index, name) in names.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += quoted(name, &random)
                out.append(UInt8(ascii: ":"))
                out += text(depth: depth + 1, topLevel: false, &random)
            }
            out.append(UInt8(ascii: "}"))
        case 1:
            out += Array((["true", "false", "null", "0", "-0", "1.5", "1e3", "007", "-", "9007199254740991", "9007199254740992"]
                .randomElement(using: &random)!).utf8)
        case 2: out += Array(String(Int64.random(in: -99_999...99_999, using: &random)).utf8)
        case 3, 4: out += quoted(string(&random, length: 5), &random)
        default:
            out.append(UInt8(ascii: "["))
            for index in 0..<Int.random(in: 0...3, using: &random) {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += text(depth: depth + 1, topLevel: false, &random)
            }
            out.append(UInt8(ascii: "]"))
        }
        if pick(60) { out.append(UInt8(ascii: "\n")) }
        return out
    }

    /// A string literal, usually canonical; sometimes with a needless or differently written escape.
    static func quoted<R: RandomNumberGenerator>(_ text: String, _ random: inout R) -> [UInt8] {
        var out: [UInt8] = []
        CanonicalJSON.Writer.appendString(text, to: &out)
        guard Int.random(in: 0..<6, using: &random) == 0, out.count > 2 else { return out }
        let liberties = [#"\/"#, #"\u0041"#, #"\u001F"#, #"\u000a"#, #"\u00e9"#, #"\ud83d\ude00"#, #"\b"#, #"\u0008"#, #"\u001f"#]
        let at = Int.random(in: 1..<(out.count - 1), using: &random)
        guard out[at - 1] != UInt8(ascii: "\\"), out[at] & 0xC0 != 0x80 else { return out }
        out.insert(contentsOf: Array(liberties.randomElement(using: &random)!.utf8), at: at)
        return out
    }
}
