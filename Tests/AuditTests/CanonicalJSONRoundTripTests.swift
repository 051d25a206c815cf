import Domain
import Testing

/// Round trips over values from a seeded generator: the same values on every run.
@Suite("CanonicalJSON: round trips")
struct CanonicalJSONRoundTripTests {
    static let valueCount = 500

    @Test("parse(encode(x)) == x, and encoding is stable")
    func roundTrip() throws {
        var generator = ValueGenerator(seed: 0x8785)
        for index in 0..<Self.valueCount {
            let value = generator.value(depth: 0)
            let bytes = value.canonicalBytes
            let parsed = try CanonicalJSON.parse(bytes)
            #expect(parsed == value, "value \(index): \(value)")
            #expect(parsed.canonicalBytes == bytes, "value \(index)")
            #expect(CanonicalJSON.isCanonical(bytes), "value \(index)")
        }
    }

    /// The same values written loosely (shuffled members, whitespace, needless `\u` escapes,
    /// surrogate pairs) must read back as the same value and canonicalise to the same bytes.
    @Test("non-canonical spellings canonicalise to the same bytes")
    func looseSpellings() throws {
        var generator = ValueGenerator(seed: 0x5EED)
        for index in 0..<Self.valueCount {
            let value = generator.value(depth: 0)
            var loose: [UInt8] = []
            generator.writeLoosely(value, to: &loose)
            let parsed = try CanonicalJSON.parse(loose)
            #expect(parsed == value, "value \(index): \(String(decoding: loose, as: UTF8.self))")
            #expect(try CanonicalJSON.canonicalize(loose) == value.canonicalBytes, "value \(index)")
        }
    }
}


/// Random values weighted towards the awkward cases: control characters, quotes, surrogate
/// pairs, U+FFFF next to U+10000, combining marks, integer bounds.
private struct ValueGenerator {
    var random: SplitMix64
    static let depthMax = 4

    static let scalars: [Unicode.Scalar] = [
        "a", "B", "0", " ", "\"", "\\", "/", "\u{0}", "\u{8}", "\u{9}", "\u{A}", "\u{B}", "\u{C}", "\u{D}",
        "\u{1F}", "\u{7F}", "\u{80}", "\u{E9}", "e", "\u{301}", "\u{C5}", "A", "\u{30A}", "\u{2028}", "\u{2029}",
        "\u{20AC}", "\u{D7FF}", "\u{E000}", "\u{FB33}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}",
    ]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func value(depth: Int) -> CanonicalJSON {
        let kind = depth >= Self.depthMax ? Int.random(in: 0..<4, using: &random) : Int.random(in: 0..<6, using: &random)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return integer()
        case 3: return .string(string())
        case 4: return .array((0..<Int.random(in: 0..<5, using: &random)).map { _ in value(depth: depth + 1) })
        default:
            var members: [CanonicalJSON.Object.Member] = []
            var names: [String] = []
            for _ in 0..<Int.random(in: 0..<5, using: &random) {
                let name = string()
                guard !names.contains(where: { $0.unicodeScalars.elementsEqual(name.unicodeScalars) }) else { continue }
                names.append(name)
                members.append(.init(name: name, value: value(depth: depth + 1)))
            }
            guard let object = CanonicalJSON.Object(uniqueMembers: members) else {
                preconditionFailure("names were made unique above")
            }
            return .object(object)
        }
    }

    mutating func integer() -> CanonicalJSON {
        let bound = CanonicalJSON.SafeInteger.magnitudeMax
        let choices: [Int64] = [0, 1, -1, bound, -bound, bound - 1, Int64.random(in: -bound...bound, using: &random)]
        guard let value = CanonicalJSON(exactly: choices.randomElement(using: &random)!) else {
            preconditionFailure("choices are within the bounds")
        }
        return value
    }

    mutating func string() -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<6, using: &random) {
            text.append(Self.scalars.randomElement(using: &random)!)
        }
        return String(text)
    }

    /// Valid but non-canonical JSON for `value`.
    mutating func writeLoosely(_ value: CanonicalJSON, to output: inout [UInt8]) {
        space(&output)
        switch value {
        case .null, .bool, .integer:
            output.append(contentsOf: value.canonicalBytes)
        case .string(let text):
            writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeLoosely(element, to: &output)
            }
            space(&output)
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, member) in object.members.shuffled(using: &random).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                space(&output)
                writeString(member.name, to: &output)
                space(&output)
                output.append(UInt8(ascii: ":"))
                writeLoosely(member.value, to: &output)
            }
            space(&output)
            output.append(UInt8(ascii: "}"))
        }
        space(&output)
    }

    private mutating func space(_ output: inout [UInt8]) {
        let blanks: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]
        for _ in 0..<Int.random(in: 0..<3, using: &random) { output.append(blanks.randomElement(using: &random)!) }
    }

    /// Escapes what must be escaped (as `\u` escapes, upper or lower case) and, at random, other
    /// characters too; astral characters become surrogate-pair escapes.
    private mutating func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
            if mustEscape || Bool.random(using: &random) {
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: Bool.random(using: &random))
                    output.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                }
            } else {
                output.append(contentsOf: String(scalar).utf8)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
