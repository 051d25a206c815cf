import Domain
import Testing

/// The strict parser: what it accepts, what it refuses and how it says so.
@Suite("CanonicalJSON: parser")
struct CanonicalJSONParserTests {
    static func parse(_ text: String) throws(CanonicalJSONError) -> CanonicalJSON {
        try CanonicalJSON.parse(Array(text.utf8))
    }

    /// The error `bytes` are refused with; records an issue when they are accepted.
    static func failure(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> CanonicalJSONError? {
        do {
            let value = try CanonicalJSON.parse(bytes)
            Issue.record("accepted as \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    static func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CanonicalJSONError? {
        failure(Array(text.utf8), sourceLocation: sourceLocation)
    }

    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test("RFC 8259 values and whitespace")
    func accepts() throws {
        let value = try Self.parse(" \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 ] , \"b\" : { } , \"c\" : [ true, false, null ] }\n")
        #expect(value == ["a": [1, -2, 0, 0], "b": [:], "c": [true, false, nil]])
        #expect(try Self.parse("\"x\"") == "x")
        #expect(try Self.parse("42") == 42)
        #expect(try Self.parse("null") == nil)
    }

    @Test("escapes decode, including \\/, upper-case hex and surrogate pairs")
    func escapes() throws {
        let value = try Self.parse(#""\"\\\/\b\f\n\r\t\u0000\u00e9\u00E9\uD83D\uDE00\u2028""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\t\u{0}éé\u{1F600}\u{2028}"))
    }

    @Test("integers within ±(2^53−1) accepted; ±2^53 and beyond refused", arguments: [
        ("9007199254740991", true), ("-9007199254740991", true),
        ("9007199254740992", false), ("-9007199254740992", false),
        ("18446744073709551616", false), ("1" + String(repeating: "0", count: 400), false),
    ])
    func integerBounds(text: String, isAccepted: Bool) throws {
        if isAccepted {
            let value = try Self.parse(text)
            #expect(value.canonicalBytes == Array(text.utf8))
        } else {
            let error = Self.failure(text)
            #expect(error?.kind == .numberOutOfRange)
            #expect(error?.reason.contains("number") == true)
            #expect(error?.reason.contains("±(2^53−1)") == true)
        }
    }

    @Test("fractions and exponents refused, even when the value is integral",
        arguments: ["1.0", "1e2", "1E+2", "1e-2", "-0.5", "0e0", "56.0", "[1, 2.5]"])
    func nonIntegers(text: String) {
        let error = Self.failure(text)
        #expect(error?.kind == .numberNotInteger)
        #expect(error?.reason.contains("number") == true)
        #expect(error?.reason.contains("integer") == true)
    }

    @Test("malformed numbers refused", arguments: ["01", "-01", "-", "1.", ".5", "1e", "1e+", "+1", "-a"])
    func malformedNumbers(text: String) {
        let kind = Self.failure(text)?.kind
        #expect(kind == .invalidNumber || kind == .unexpectedCharacter, "\(text): \(String(describing: kind))")
    }

    @Test("-0 is the integer 0, but not canonical")
    func negativeZero() throws {
        #expect(try Self.parse("-0") == 0)
        #expect(!CanonicalJSON.isCanonical(Array("-0".utf8)))
        #expect(CanonicalJSON.isCanonical(Array("0".utf8)))
    }

    @Test("duplicate member names refused, also when one is escaped")
    func duplicates() throws {
        let error = try #require(Self.failure("{\"a\":1,\n \"b\":2,\n \"a\":3}"))
        #expect(error.kind == .duplicateName)
        #expect((error.line, error.column) == (3, 2))
        #expect(error.description == "3:2: duplicate member name \"a\"")
        #expect(Self.failure(#"{"a":1,"\u0061":2}"#)?.kind == .duplicateName)
        #expect(Self.failure(#"{"x":{"a":1,"a":1}}"#)?.kind == .duplicateName)
        // Canonically equivalent names are still different names.
        let value = try Self.parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.count == 2)
        // The same name in sibling objects is fine.
        #expect(throws: Never.self) { try Self.parse(#"[{"a":1},{"a":2}]"#) }
    }

    @Test("nesting up to depthMax accepted, one deeper refused")
    func depth() throws {
        #expect(CanonicalJSON.depthMax == 64)
        #expect(throws: Never.self) { try Self.parse(Self.nested(64)) }
        let error = try #require(Self.failure(Self.nested(65)))
        #expect(error.kind == .tooDeep)
        #expect(error.column == 65)
        let objects = String(repeating: "{\"k\":", count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(Self.failure(objects)?.kind == .tooDeep)
    }

    @Test("input up to bytesMax accepted, one byte more refused")
    func size() throws {
        #expect(CanonicalJSON.bytesMax == 65_535)
        let largest = "\"" + String(repeating: "a", count: 65_533) + "\""
        #expect(largest.utf8.count == 65_535)
        #expect(throws: Never.self) { try Self.parse(largest) }
        let error = try #require(Self.failure(largest + " "))
        #expect(error.kind == .tooLarge)
        #expect(error.reason.contains("65536 bytes"))
    }

    @Test("unpaired surrogate escapes refused",
        arguments: [#""\ud800""#, #""\udc00""#, #""\ud800x""#, #""\ud800\u0041""#, #""\uDBFF\uD800""#, #""\ude00\ud83d""#])
    func loneSurrogates(text: String) {
        let error = Self.failure(text)
        #expect(error?.kind == .unpairedSurrogate)
        #expect(error?.column == 2)
    }

    @Test("malformed escapes refused", arguments: [#""\x""#, #""\u12""#, #""\u12G4""#, #""\U0041""#, #""\'""#])
    func badEscapes(text: String) {
        #expect(Self.failure(text)?.kind == .invalidEscape)
    }

    @Test("malformed UTF-8 refused", arguments: [
        [0xC3, 0x28], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFF], [0xF0, 0x9F, 0x98],
    ] as [[UInt8]])
    func invalidUTF8(sequence: [UInt8]) {
        let error = Self.failure([UInt8(ascii: "\"")] + sequence + [UInt8(ascii: "\"")])
        #expect(error?.kind == .invalidUTF8)
        #expect(error?.column == 2)
    }

    @Test("well-formed UTF-8 at the edges of the table accepted")
    func validUTF8Edges() throws {
        let text = "\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFF}"
        #expect(try Self.parse("\"" + text + "\"") == .string(text))
    }

    @Test("raw control characters in strings refused", arguments: [0x00, 0x0A, 0x09, 0x1F] as [UInt8])
    func controlCharacters(code: UInt8) {
        let error = Self.failure([UInt8(ascii: "\""), code, UInt8(ascii: "\"")])
        #expect(error?.kind == .controlCharacter)
        #expect(error?.reason.contains("control character") == true)
    }

    @Test("DEL (U+007F) is not a control character for JSON")
    func delete() throws {
        #expect(try CanonicalJSON.parse([0x22, 0x7F, 0x22]) == .string("\u{7F}"))
    }

    @Test("trailing data refused", arguments: ["1 2", "{} x", "[]]", "null,", "\"a\"\"b\"", "{}\u{0}"])
    func trailingData(text: String) {
        #expect(Self.failure(text)?.kind == .trailingData)
    }

    @Test("other grammar errors", arguments: [
        ("", CanonicalJSONError.Kind.unexpectedEnd), ("  ", .unexpectedEnd), ("[1,", .unexpectedEnd),
        ("{\"a\"", .unexpectedCharacter), ("\"abc", .unexpectedEnd), ("[1,]", .unexpectedCharacter),
        ("{\"a\":1,}", .unexpectedCharacter), ("{a:1}", .unexpectedCharacter), ("[1 2]", .unexpectedCharacter),
        ("tru", .invalidLiteral), ("nul", .invalidLiteral), ("True", .unexpectedCharacter),
        ("NaN", .unexpectedCharacter), ("\u{C}1", .unexpectedCharacter), ("\u{A0}1", .unexpectedCharacter),
        ("\u{FEFF}{}", .unexpectedCharacter), ("'a'", .unexpectedCharacter),
    ])
    func grammar(text: String, kind: CanonicalJSONError.Kind) {
        let error = Self.failure(text)
        #expect(error?.kind == kind, "\(text.debugDescription): \(String(describing: error))")
    }

    @Test("errors carry a 1-based line and column counted in characters")
    func positions() throws {
        let error = try #require(Self.failure("{\n  \"é\": [1,\n    2.5]}"))
        #expect((error.line, error.column, error.offset) == (3, 5, 18))
        #expect(error.description.hasPrefix("3:5: number 2.5 has a fraction"))
        let first = try #require(Self.failure("x"))
        #expect((first.line, first.column) == (1, 1))
        #expect(first.description == "1:1: expected a value, found 'x'")
        let afterAccent = try #require(Self.failure("[\"é\",x]"))
        #expect((afterAccent.line, afterAccent.column) == (1, 6))
        #expect(first.slug == "invalid-canonical-json")
    }

    @Test("isCanonical compares re-encoded bytes exactly")
    func isCanonical() {
        let cases: [(String, Bool)] = [
            (#"{"a":2,"b":1}"#, true), (#"{"b":1,"a":2}"#, false), (#"{"a":2, "b":1}"#, false),
            (#""A""#, true), (#""\u0041""#, false), (#""\/""#, false), (#""/""#, true),
            (#""\u001F""#, false), (#""\u001f""#, true), ("[1]\n", false), ("1.0", false), ("", false),
        ]
        for (text, isCanonical) in cases {
            #expect(CanonicalJSON.isCanonical(Array(text.utf8)) == isCanonical, "\(text)")
        }
    }
}
