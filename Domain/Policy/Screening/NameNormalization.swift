import Foundation

/// The normalisation names are compared after (docs/policies.md §5).
///
/// A name is its first `inputScalarsMax` Unicode scalars (a list entry is at most
/// `PolicyLimits.listNameBytesMax` bytes, so this cuts only queries). Those go through Unicode
/// compatibility decomposition (NFKD); combining marks (general categories Mn and Me) are
/// removed; letters (Unicode `Alphabetic`) and digits (any numeric type) are lower-cased with
/// their full lower-case mapping; every run of anything else becomes one word break. The words
/// are sorted by their Unicode scalar values and joined with one space (U+0020). Distances are
/// counted in the scalars of that result.
public enum NameNormalization {
    /// Scalars of a name that are looked at; the rest is ignored (bounded work per query).
    public static let inputScalarsMax = 256

    /// The normalised name as a string: `"PETROV, Ivan"` → `"ivan petrov"`.
    public static func normalize(_ name: String) -> String {
        var view = String.UnicodeScalarView()
        for value in scalars(name) { view.append(Unicode.Scalar(value)!) }
        return String(view)
    }

    /// The normalised name as Unicode scalar values.
    static func scalars(_ name: String) -> [UInt32] {
        if let ascii = asciiScalars(name) { return ascii }
        return generalScalars(name)
    }

    /// The same as `generalScalars` for a name whose first `inputScalarsMax` scalars are ASCII, where
    /// NFKD is the identity, there are no marks, and the letters and digits are `A–Z a–z 0–9`
    /// (`NameScreeningTests` checks the equality on every ASCII character); nil otherwise.
    static func asciiScalars(_ name: String) -> [UInt32]? {
        var words = WordBuffer(capacity: min(name.utf8.count, inputScalarsMax))
        var taken = 0
        for byte in name.utf8 {
            guard taken < inputScalarsMax else { break }
            guard byte < 0x80 else { return nil }
            taken += 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): words.append(UInt32(byte))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): words.append(UInt32(byte) + 0x20)
            default: words.endWord()
            }
        }
        return words.sortedAndJoined()
    }

    /// The normalisation in full, for any name.
    static func generalScalars(_ name: String) -> [UInt32] {
        let head = String(String.UnicodeScalarView(name.unicodeScalars.prefix(inputScalarsMax)))
        let decomposed = head.decomposedStringWithCompatibilityMapping.unicodeScalars
        var words = WordBuffer(capacity: decomposed.count)
        for scalar in decomposed {
            let properties = scalar.properties
            if isMark(properties) { continue }
            guard properties.isAlphabetic || properties.numericType != nil else {
                words.endWord()
                continue
            }
            if scalar.isASCII {
                let value = scalar.value
                words.append((0x41...0x5a).contains(value) ? value + 0x20 : value)
            } else {
                // The full lower-case mapping, as `String.lowercased()` applies it scalar by scalar; a
                // mark it may bring in (none does today after NFKD) is removed as well.
                for lower in properties.lowercaseMapping.unicodeScalars where !isMark(lower.properties) {
                    words.append(lower.value)
                }
            }
        }
        return words.sortedAndJoined()
    }

    static func isMark(_ properties: Unicode.Scalar.Properties) -> Bool {
        properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
    }
}

/// The words of a name being normalised: their scalars in one buffer, and where each word lies.
private struct WordBuffer {
    private var values: [UInt32] = []
    private var words: [Range<Int>] = []
    private var wordStart = 0

    init(capacity: Int) {
        values.reserveCapacity(capacity)
    }

    mutating func append(_ value: UInt32) {
        values.append(value)
    }

    mutating func endWord() {
        if values.count > wordStart { words.append(wordStart..<values.count) }
        wordStart = values.count
    }

    /// The words sorted by scalar values (a prefix first), joined by one space.
    mutating func sortedAndJoined() -> [UInt32] {
        endWord()
        let values = self.values
        words.sort { values[$0].lexicographicallyPrecedes(values[$1]) }
        var joined: [UInt32] = []
        joined.reserveCapacity(values.count + words.count)
        for (n, word) in words.enumerated() {
            if n > 0 { joined.append(0x20) }
            joined.append(contentsOf: values[word])
        }
        return joined
    }
}
