import Foundation

/// Screens a name against one name list (docs/policies.md §5): the smallest Levenshtein
/// distance between the normalised name and any normalised entry, capped at
/// `distanceCap` (which means "that much or more").
///
/// This first version scans every entry; `distance(to:)` is the contract the policy engine uses.
public struct NameScreeningIndex: Sendable {
    /// Distances are exact up to 2; 3 means 3 or more.
    public static let distanceCap = 3
    /// Normalised names shorter than this match exactly only.
    public static let fuzzyLengthMin = 4

    private let names: [[Unicode.Scalar]]

    public init(entries: [NameListEntry]) {
        names = entries.map { Array(NameNormalization.normalize($0.name).unicodeScalars) }
    }

    /// 0 for an exact match after normalisation, 1 or 2 for a fuzzy one, 3 otherwise.
    public func distance(to name: String) -> Int {
        let query = Array(NameNormalization.normalize(name).unicodeScalars)
        var best = Self.distanceCap
        for candidate in names {
            let d: Int
            if query.count < Self.fuzzyLengthMin || candidate.count < Self.fuzzyLengthMin {
                d = query == candidate ? 0 : Self.distanceCap
            } else {
                d = Self.levenshtein(query, candidate, cap: Self.distanceCap)
            }
            best = min(best, d)
            if best == 0 { break }
        }
        return best
    }

    /// The Levenshtein distance, or `cap` when it is `cap` or more.
    static func levenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], cap: Int) -> Int {
        if abs(a.count - b.count) >= cap { return cap }
        if a.isEmpty || b.isEmpty { return min(cap, max(a.count, b.count)) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
                rowMin = min(rowMin, current[j])
            }
            if rowMin >= cap { return cap }
            swap(&previous, &current)
        }
        return min(cap, previous[b.count])
    }
}

/// The normalisation names are compared after (docs/policies.md §5).
public enum NameNormalization {
    /// Compatibility decomposition, combining marks removed, lower case, runs of anything but
    /// letters and digits to one space, words sorted.
    public static func normalize(_ name: String) -> String {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        for scalar in name.decomposedStringWithCompatibilityMapping.unicodeScalars {
            let properties = scalar.properties
            if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark { continue }
            if properties.isAlphabetic || properties.numericType != nil {
                word.append(contentsOf: String(scalar).lowercased().unicodeScalars)
            } else if !word.isEmpty {
                words.append(String(word))
                word = String.UnicodeScalarView()
            }
        }
        if !word.isEmpty { words.append(String(word)) }
        return words.sorted().joined(separator: " ")
    }
}
