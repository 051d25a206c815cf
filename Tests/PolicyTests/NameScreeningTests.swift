@testable import Domain
import Foundation
import Testing

@Suite("Name normalisation")
struct NameNormalizationTests {
    static func normalize(_ name: String) -> String { NameNormalization.normalize(name) }

    @Test func wordOrderCaseAndPunctuationDoNotMatter() {
        #expect(Self.normalize("PETROV, Ivan") == "ivan petrov")
        #expect(Self.normalize("Ivan Petrov") == "ivan petrov")
        #expect(Self.normalize("  ivan\t--  PETROV. ") == "ivan petrov")
        #expect(Self.normalize("Jean-Luc O'Brien") == "brien jean luc o")
        #expect(Self.normalize("ACME Trading Co. (2000) Ltd.") == "2000 acme co ltd trading")
    }

    @Test func diacriticsGoButLettersWithoutADecompositionStay() {
        #expect(Self.normalize("Müller") == "muller")
        #expect(Self.normalize("MÜLLER") == "muller")
        #expect(Self.normalize("Mueller") == "mueller")  // no transliteration: ü is u, not ue
        #expect(Self.normalize("José Ñúñez Çelik") == "celik jose nunez")
        #expect(Self.normalize("Straße") == "straße")  // ß has no decomposition
        #expect(Self.normalize("Søren Łukasz") == "søren łukasz")  // nor have ø and ł
        #expect(Self.normalize("İstanbul") == "istanbul")  // I + combining dot above, then lower-cased
    }

    @Test func compatibilityForms() {
        #expect(Self.normalize("ＡＣＭＥ") == "acme")  // full-width
        #expect(Self.normalize("ﬁsh") == "fish")  // ligature
        #expect(Self.normalize("Louis Ⅻ") == "louis xii")  // Roman numeral
        #expect(Self.normalize("x²") == "x2")
    }

    @Test func otherScriptsStayInTheirScript() {
        #expect(Self.normalize("ПЕТРОВ, Иван") == "иван петров")
        #expect(Self.normalize("Иван Петров") == "иван петров")
        #expect(Self.normalize("Йован Ёлкин") == "елкин иован")  // й and ё carry a combining breve / diaeresis
        #expect(Self.normalize("Ὀδυσσεύς") == "οδυσσευς")
        #expect(Self.normalize("محمّد") == "محمد")  // the shadda is a nonspacing mark
    }

    @Test func nothingLeftIsEmpty() {
        for name in ["", " ", "\t\n", "---", "‽ … ·", "\u{0301}\u{0308}"] {
            #expect(Self.normalize(name) == "", "\(name.debugDescription)")
        }
    }

    @Test func wordsSortByScalarValues() {
        #expect(Self.normalize("b a") == "a b")
        #expect(Self.normalize("ab a") == "a ab")  // a prefix first
        #expect(Self.normalize("zeta Alpha ёж ежи") == "alpha zeta еж ежи")
        #expect(Self.normalize("Ω a") == "a ω")
    }

    @Test func onlyTheFirst256ScalarsCount() {
        let cap = NameNormalization.inputScalarsMax
        #expect(NameNormalization.scalars(String(repeating: "a", count: 300)).count == cap)
        #expect(NameNormalization.scalars(String(repeating: "é", count: 300)).count == cap)
        #expect(Self.normalize(String(repeating: "x", count: cap) + " Ivan Petrov") == String(repeating: "x", count: cap))
        #expect(Self.normalize(String(repeating: "x", count: cap - 4) + " Ivan Petrov") == "iva " + String(repeating: "x", count: cap - 4))
        // A non-ASCII scalar after the cap changes nothing.
        let ascii = String(repeating: "ab ", count: 100)
        #expect(Self.normalize(ascii) == Self.normalize(ascii + "é"))
        #expect(NameNormalization.asciiScalars(ascii + "é") != nil)
    }

    @Test func theASCIIPathIsTheGeneralPath() {
        for byte in UInt8(0)..<0x80 {
            let name = "Ab" + String(UnicodeScalar(byte)) + "Cd"
            #expect(NameNormalization.asciiScalars(name) == NameNormalization.generalScalars(name), "byte \(byte)")
        }
        var random = SplitMix64(seed: 0xa5c11)
        for _ in 0..<2_000 {
            let length = Int(random.next() % 40)
            let name = String(String.UnicodeScalarView((0..<length).map { _ in Unicode.Scalar(UInt8(random.next() % 0x80)) }))
            #expect(NameNormalization.asciiScalars(name) == NameNormalization.generalScalars(name), "\(name.debugDescription)")
        }
        #expect(NameNormalization.asciiScalars("Müller") == nil)
    }
}

@Suite("Name screening")
struct NameScreeningTests {
    static func index(_ names: [String]) -> NameScreeningIndex {
        NameScreeningIndex(entries: names.enumerated().map { NameListEntry(id: "SAMPLE-\($0.offset)", name: $0.element) })
    }

    @Test func exactAndFuzzy() {
        let index = Self.index(["Ivan Petrov", "Müller", "ACME Trading Co. Ltd."])
        #expect(index.distance(to: "PETROV, Ivan") == 0)
        #expect(index.distance(to: "Ivan Petrof") == 1)
        #expect(index.distance(to: "Ivn Ptrov") == 2)
        #expect(index.distance(to: "Iva Ptro") == 3)
        #expect(index.distance(to: "Muller") == 0)
        #expect(index.distance(to: "Mueller") == 1)
        #expect(index.distance(to: "Acme Trading Company Limited") == 3)
        #expect(index.distance(to: "ACME TRADING CO LTD") == 0)
        #expect(index.distance(to: "Иван Петров") == 3)  // no transliteration
        #expect(index.namesCount == 3)
    }

    /// The table of docs/policies.md §5.
    @Test(arguments: [
        ("PETROV, Ivan", "Ivan Petrov", 0), ("Müller", "Muller", 0), ("Müller", "Mueller", 1), ("Straße", "Strasse", 2),
        ("Søren", "Soren", 1), ("Иван Петров", "Ivan Petrov", 3), ("O'Brien", "O Brien", 0), ("O'Brien", "OBrien", 3),
        ("Ivan Petrov", "Ivan Qetrov", 1), ("Ivan Petrov", "Ivan Aetrov", 3),
        ("ZÖLLNER-BRÜCKHAUS, Dietmar", "Dietmar Zoellner-Brueckhaus", 2),
    ])
    func documentedCases(listed: String, query: String, distance: Int) {
        #expect(Self.index([listed]).distance(to: query) == distance)
        #expect(Self.index([query]).distance(to: listed) == distance)
    }

    @Test func sortingCanPullATypoFarAway() {
        // A typo that moves a word in the sort order is not a near miss (docs/policies.md §5).
        let index = Self.index(["Ivan Petrov"])
        #expect(index.distance(to: "Ivan Qetrov") == 1)
        #expect(index.distance(to: "Ivan Aetrov") == 3)
    }

    @Test func shortNamesMatchExactlyOnly() {
        let index = Self.index(["Li", "Wu Xi", "Abcd"])
        #expect(index.distance(to: "LI") == 0)
        #expect(index.distance(to: "Lu") == 3)
        #expect(index.distance(to: "Xi, Wu") == 0)
        #expect(index.distance(to: "Wu Xu") == 1)  // 5 scalars, both sides
        #expect(index.distance(to: "Abc") == 3)  // 3 scalars: exact only
        #expect(index.distance(to: "Abce") == 1)
        #expect(Self.index(["Abc"]).distance(to: "Abcd") == 3)
    }

    @Test func emptyNeverMatches() {
        let index = Self.index(["---", "Ivan Petrov", " "])
        for name in ["", "   ", "...", "-"] { #expect(index.distance(to: name) == 3) }
        #expect(index.namesCount == 1)
        #expect(Self.index([]).distance(to: "Ivan Petrov") == 3)
        #expect(NameScreeningScan(entries: [NameListEntry(id: "1", name: "--")]).distance(to: "") == 3)
    }

    @Test func aliasesAndDuplicatesShareOneName() {
        let index = Self.index(["Ivan Petrov", "PETROV, Ivan", "Petrov Ivan", "Иван Петров"])
        #expect(index.namesCount == 2)
        #expect(index.distance(to: "иван петров") == 0)
        #expect(index.distance(to: "Иван Петро") == 1)
    }

    @Test func longQueriesAreCutAtTheCap() {
        let cap = NameNormalization.inputScalarsMax
        let long = String(repeating: "a", count: cap)
        let index = Self.index([long, "Ivan Petrov"])
        #expect(index.distance(to: long + "aaaa") == 0)  // the same first 256 scalars
        #expect(index.distance(to: String(repeating: "a", count: cap - 1) + "b") == 1)
        #expect(index.distance(to: String(repeating: ".", count: 300) + "Ivan Petrov") == 3)
        #expect(index.distance(to: String(repeating: "Ivan Petrov ", count: 1_000)) == 3)
    }

    @Test func theBandedDistanceIsLevenshtein() {
        var random = SplitMix64(seed: 0xba9d)
        for _ in 0..<20_000 {
            let a = Self.randomScalars(&random, alphabet: 3, lengthMax: 9)
            let b = Self.randomScalars(&random, alphabet: 3, lengthMax: 9)
            let full = NameScreeningScan.levenshtein(a, b, cap: 100)
            for limit in 0...3 {
                let bounded = a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in ScreeningDistance.bounded(a, b, limit: limit) }
                }
                #expect(bounded == min(full, limit + 1), "\(a) \(b) limit \(limit)")
            }
        }
    }

    @Test func segmentsCoverTheName() {
        for length in 3...40 {
            let pieces = (0..<NameScreeningIndex.segmentsPerName).map { NameScreeningIndex.segment($0, length: length) }
            #expect(pieces.first?.lowerBound == 0 && pieces.last?.upperBound == length)
            #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(pieces.allSatisfy { $0.count == length / 3 || $0.count == length / 3 + 1 })
        }
    }

    static func randomScalars(_ random: inout SplitMix64, alphabet: UInt64, lengthMax: UInt64) -> [UInt32] {
        (0..<Int(random.next() % (lengthMax + 1))).map { _ in 0x61 + UInt32(random.next() % alphabet) }
    }
}

@Suite("Name screening against the scan")
struct NameScreeningDifferentialTests {
    static let syllables = ["an", "ba", "ko", "li", "mu", "ra", "se", "ti", "vo", "ze", "ah", "med", "ov", "ich", "el", "a", "o"]
    static let accented = ["é", "ü", "ñ", "ø", "ß", "Ł"]
    static let cyrillic = ["ив", "ан", "пе", "тр", "ов", "ич", "й", "ё"]
    static let separators = [" ", " ", ", ", "-", "'", ". ", "  "]
    /// What an edit inserts or substitutes: letters of the names, a space, other letters.
    static let editScalars: [UInt32] = Array("abeikmnorstvz éüøßив".unicodeScalars.map(\.value))

    @Test(arguments: [
        (seed: UInt64(1), entries: 60, wordsMax: 3, queries: 1_500),
        (seed: UInt64(2), entries: 800, wordsMax: 4, queries: 1_500),
        (seed: UInt64(3), entries: 1_500, wordsMax: 6, queries: 1_500),
    ])
    func indexEqualsScan(seed: UInt64, entries: Int, wordsMax: Int, queries: Int) {
        var random = SplitMix64(seed: seed)
        let names = (0..<entries).map { _ in Self.name(&random, wordsMax: wordsMax) }
        let list = names.enumerated().map { NameListEntry(id: "SAMPLE-\($0.offset / 2)", name: $0.element) }
        let index = NameScreeningIndex(entries: list)
        let scan = NameScreeningScan(entries: list)
        var seen = [Int](repeating: 0, count: NameScreeningIndex.distanceCap + 1)
        for _ in 0..<queries {
            let query = Self.query(&random, names: names, wordsMax: wordsMax)
            let expected = scan.distance(to: query)
            #expect(index.distance(to: query) == expected, "\(query.debugDescription)")
            seen[expected] += 1
        }
        // The queries reach every outcome often enough to mean something.
        for (distance, count) in seen.enumerated() { #expect(count >= queries / 20, "distance \(distance): \(count) of \(queries)") }
    }

    /// A list name as written (re-cased, words reordered), a list name with 1 to 3 random edits
    /// of its normalised form, or a new name.
    static func query(_ random: inout SplitMix64, names: [String], wordsMax: Int) -> String {
        let listed = names[Int(random.next() % UInt64(names.count))]
        switch random.next() % 8 {
        case 0: return Self.name(&random, wordsMax: wordsMax)
        case 1: return listed.uppercased()
        case 2: return NameNormalization.normalize(listed).split(separator: " ").reversed().joined(separator: ", ")
        default:
            var scalars = NameNormalization.scalars(listed)
            for _ in 0..<(1 + Int(random.next() % 3)) { edit(&scalars, &random) }
            return String(String.UnicodeScalarView(scalars.map { Unicode.Scalar($0)! }))
        }
    }

    static func edit(_ scalars: inout [UInt32], _ random: inout SplitMix64) {
        let replacement = editScalars[Int(random.next() % UInt64(editScalars.count))]
        let at = Int(random.next() % UInt64(scalars.count + 1))
        switch random.next() % 3 {
        case 0: scalars.insert(replacement, at: at)
        case 1 where at < scalars.count: scalars.remove(at: at)
        default: if at < scalars.count { scalars[at] = replacement } else { scalars.append(replacement) }
        }
    }

    static func name(_ random: inout SplitMix64, wordsMax: Int) -> String {
        let inCyrillic = random.next() % 8 == 0
        var name = ""
        for n in 0..<(1 + Int(random.next() % UInt64(wordsMax))) {
            if n > 0 { name += separators[Int(random.next() % UInt64(separators.count))] }
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let pool = inCyrillic ? Self.cyrillic : (random.next() % 10 == 0 ? accented : syllables)
                name += pool[Int(random.next() % UInt64(pool.count))]
            }
        }
        return random.next() % 4 == 0 ? name.uppercased() : name.capitalized
    }
}
