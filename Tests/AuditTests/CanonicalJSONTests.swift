import Domain
import Testing

/// The canonical encoding (RFC 8785) and the value model.
@Suite("CanonicalJSON: encoding")
struct CanonicalJSONTests {
    static func text(_ value: CanonicalJSON) -> String {
        String(decoding: value.canonicalBytes, as: UTF8.self)
    }

    @Test("no whitespace, members sorted, arrays kept in order")
    func basicShape() {
        let value: CanonicalJSON = ["b": [3, 1, 2], "a": ["z": nil, "y": true], "c": false, "": "x"]
        #expect(Self.text(value) == #"{"":"x","a":{"y":true,"z":null},"b":[3,1,2],"c":false}"#)
        #expect(Self.text([]) == "[]")
        #expect(Self.text([:]) == "{}")
    }

    /// U+10000 is the UTF-16 pair D800 DC00, and D800 < FFFF: it sorts before U+FFFF, the opposite
    /// of an order by code points (or by UTF-8 bytes).
    @Test("member names are sorted by UTF-16 code units, not by code points")
    func utf16Order() {
        let value: CanonicalJSON = ["\u{FFFF}": 1, "\u{10000}": 2, "a": 3, "": 4, "\u{E000}": 5]
        #expect(Self.text(value) == "{\"\":4,\"a\":3,\"\u{10000}\":2,\"\u{E000}\":5,\"\u{FFFF}\":1}")
        #expect(Array("\u{10000}".utf16) == [0xD800, 0xDC00])
        #expect("\u{FFFF}".unicodeScalars.first!.value < "\u{10000}".unicodeScalars.first!.value)
    }

    /// RFC 8785 section 3.2.3, the sorting example.
    @Test("RFC 8785 section 3.2.3 sorting example")
    func rfcSortingExample() throws {
        let input = #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","#
            + #""1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","#
            + #""\u00f6":"Latin Small Letter O With Diaeresis"}"#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\","
            + "\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try CanonicalJSON.canonicalize(Array(input.utf8)) == Array(expected.utf8))
    }

    @Test("short escapes, quote and backslash")
    func shortEscapes() {
        let value = CanonicalJSON.string("\"\\\u{8}\u{C}\n\r\t")
        #expect(Self.text(value) == #""\"\\\b\f\n\r\t""#)
    }

    @Test("every other control character is \\u00xx in lower-case hex")
    func controlEscapes() {
        let shortEscapes: [UInt8: String] = [0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"]
        for code in UInt8(0)..<0x20 {
            let hex = String(code, radix: 16, uppercase: false)
            let expected = shortEscapes[code] ?? "\\u00" + (hex.count == 1 ? "0" : "") + hex
            let value = CanonicalJSON.string(String(Character(Unicode.Scalar(code))))
            #expect(Self.text(value) == "\"" + expected + "\"", "U+00\(hex)")
        }
        #expect(Self.text("\u{1F}\u{B}\u{0}") == #""\u001f\u000b\u0000""#)
    }

    @Test("'/', DEL, U+2028, U+2029 and non-ASCII are written literally")
    func literalCharacters() {
        let text = "/\u{7F}\u{2028}\u{2029}é\u{1F600}\u{FFFF}"
        #expect(CanonicalJSON.string(text).canonicalBytes == Array(("\"" + text + "\"").utf8))
    }

    @Test("integers in plain decimal, bounds included")
    func integers() throws {
        #expect(Self.text(0) == "0")
        #expect(Self.text(-7) == "-7")
        #expect(Self.text([9_007_199_254_740_991, -9_007_199_254_740_991]) == "[9007199254740991,-9007199254740991]")
        #expect(CanonicalJSON.SafeInteger.max.value == 9_007_199_254_740_991)
        #expect(CanonicalJSON.SafeInteger.min.value == -9_007_199_254_740_991)
    }

    @Test("integers outside ±(2^53−1) cannot be constructed")
    func integerConstruction() {
        #expect(CanonicalJSON(exactly: 9_007_199_254_740_991) != nil)
        #expect(CanonicalJSON(exactly: -9_007_199_254_740_991) != nil)
        #expect(CanonicalJSON(exactly: 9_007_199_254_740_992) == nil)
        #expect(CanonicalJSON(exactly: -9_007_199_254_740_992) == nil)
        #expect(CanonicalJSON.SafeInteger(exactly: Int64.min) == nil)
        #expect(CanonicalJSON.SafeInteger(exactly: UInt64.max) == nil)
        #expect(CanonicalJSON.SafeInteger(exactly: UInt8(200))?.value == 200)
    }

    /// JSON compares names and strings by scalars; Swift's `String ==` uses canonical equivalence.
    @Test("canonically equivalent but different strings stay different")
    func exactStrings() throws {
        let composed = "\u{C5}"
        let decomposed = "A\u{30A}"
        #expect(composed == decomposed)  // Swift's view
        #expect(CanonicalJSON.string(composed) != CanonicalJSON.string(decomposed))
        #expect(Set<CanonicalJSON>([.string(composed), .string(decomposed)]).count == 2)

        let members = [composed, decomposed].map { CanonicalJSON.Object.Member(name: $0, value: .string($0)) }
        let object = try #require(CanonicalJSON.Object(uniqueMembers: members))
        #expect(object.count == 2)
        #expect(object["A\u{30A}"] == .string(decomposed))
        #expect(object["\u{C5}"] == .string(composed))
        #expect(Self.text(.object(object)) == "{\"A\u{30A}\":\"A\u{30A}\",\"\u{C5}\":\"\u{C5}\"}")
    }

    @Test("objects: lookup, duplicates refused, dictionary order irrelevant")
    func objects() {
        let member = { (name: String, value: CanonicalJSON) in CanonicalJSON.Object.Member(name: name, value: value) }
        #expect(CanonicalJSON.Object(uniqueMembers: [member("a", 1), member("a", 2)]) == nil)
        let object = CanonicalJSON.Object(["b": 2, "a": 1, "\u{10000}": 3])
        #expect(object.members.map(\.name) == ["a", "b", "\u{10000}"])
        #expect(object["b"] == 2)
        #expect(object["c"] == nil)
        #expect(object == CanonicalJSON.Object(["\u{10000}": 3, "a": 1, "b": 2]))
    }

    @Test("description is the canonical text")
    func description() {
        let value: CanonicalJSON = ["k": [1, "two", nil]]
        #expect(value.description == #"{"k":[1,"two",null]}"#)
    }
}
