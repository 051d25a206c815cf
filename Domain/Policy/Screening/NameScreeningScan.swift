import Foundation

/// The definition of `name_distance` (docs/policies.md §5) written as plainly as possible: every
/// entry is compared with the name, one after the other. `NameScreeningIndex` must give exactly
/// its results (`NameScreeningTests` compares them on random lists and near-miss queries), and
/// `custos bench screening` measures the index against it. Not for production use: a query
/// costs a Levenshtein computation per entry.
public struct NameScreeningScan: Sendable {
    private let names: [[UInt32]]

    public init(entries: [NameListEntry]) {
        // A name that normalises to nothing (only punctuation, say) never matches.
        names = entries.map { NameNormalization.scalars($0.name) }.filter { !$0.isEmpty }
    }

    /// 0 for an exact match after normalisation, 1 or 2 for a fuzzy one, 3 (`distanceCap`) otherwise.
    public func distance(to name: String) -> Int {
        Self.distance(NameNormalization.scalars(name), names)
    }

    static func distance(_ query: [UInt32], _ names: [[UInt32]]) -> Int {
        let cap = NameScreeningIndex.distanceCap
        if query.isEmpty { return cap }
        var best = cap
        for candidate in names {
            let d: Int
            if query.count < NameScreeningIndex.fuzzyLengthMin || candidate.count < NameScreeningIndex.fuzzyLengthMin {
                d = query == candidate ? 0 : cap
            } else {
                d = levenshtein(query, candidate, cap: cap)
            }
            best = min(best, d)
            if best == 0 { break }
        }
        return best
    }

    /// The Levenshtein distance (unit-cost insertions, deletions and substitutions of scalars), or
    /// `cap` when it is `cap` or more. The full matrix, row by row.
    static func levenshtein(_ a: [UInt32], _ b: [UInt32], cap: Int) -> Int {
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
