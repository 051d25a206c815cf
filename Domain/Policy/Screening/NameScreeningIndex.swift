import Foundation

/// Screens a name against one name list (docs/policies.md §5): the smallest Levenshtein
/// distance between the normalised name and any normalised entry, capped at `distanceCap`
/// (which means "that much or more"). Built once per compiled bundle; `distance(to:)` is the
/// contract the policy engine uses, and it gives exactly what `NameScreeningScan` (the
/// definition, entry by entry) gives.
///
/// How (pigeonhole partition filtering, as in Pass-Join, Li et al., VLDB 2011): each distinct
/// normalised name of length L ≥ `fuzzyLengthMin` is cut into 3 segments (lengths ⌊L/3⌋ or
/// ⌈L/3⌉, the longer last). If a query is within 2 edits of the name, the edits fall into at
/// most 2 segments (an insertion counts for the segment after it), so one segment is untouched
/// and appears in the query verbatim, shifted by the insertions minus deletions before it.
/// With a length difference Δ = |query| − L and at most τ edits, that shift s satisfies
/// |s| + |Δ − s| ≤ τ. The index maps (segment number, L, segment text) and each whole name
/// (for distance 0) to the names, under 64-bit hashes. A query looks up, for each length
/// within τ of its own, each segment and each allowed shift: at most 39 lookups for τ = 2.
/// Each candidate is verified with a banded Levenshtein bounded by the best distance so far.
/// Hash collisions only add candidates, so nothing is ever missed.
///
/// Costs (docs/performance.md, "Name screening"): about 5 MiB for 20,000 entries, a build
/// dominated by normalising every entry once, and a query dominated by normalising the query.
public struct NameScreeningIndex: Sendable {
    /// Distances are exact up to 2; 3 means 3 or more.
    public static let distanceCap = 3
    /// Normalised names shorter than this match exactly only.
    public static let fuzzyLengthMin = 4
    /// Pieces each name is cut into: one more than the largest distance looked for (pigeonhole).
    static let segmentsPerName = distanceCap
    /// Entries of one index (as a bundle's list allows).
    public static let entriesMax = PolicyLimits.entriesPerListMax

    /// The distinct normalised names (empty ones left out), one after the other.
    private let scalars: [UInt32]
    /// Name n is `scalars[starts[n]..<starts[n + 1]]`.
    private let starts: [UInt32]
    private let postings: ScreeningPostings
    /// The length of the longest name, in scalars.
    private let lengthMax: Int

    public init(entries: [NameListEntry]) {
        precondition(entries.count <= Self.entriesMax, "more than \(Self.entriesMax) entries in a name list")
        var numbers: [[UInt32]: Int] = [:]
        var scalars: [UInt32] = []
        var starts: [UInt32] = [0]
        for entry in entries {
            // A name that normalises to nothing (only punctuation, say) never matches.
            let name = NameNormalization.scalars(entry.name)
            guard !name.isEmpty, numbers[name] == nil else { continue }
            numbers[name] = starts.count - 1
            scalars.append(contentsOf: name)
            precondition(scalars.count < Int(UInt32.max), "name list too large")
            starts.append(UInt32(scalars.count))
        }
        var pairs: [ScreeningPostings.Pair] = []
        pairs.reserveCapacity((starts.count - 1) * (1 + Self.segmentsPerName))
        var lengthMax = 0
        scalars.withUnsafeBufferPointer { all in
            for n in 0..<(starts.count - 1) {
                let name = UnsafeBufferPointer(rebasing: all[Int(starts[n])..<Int(starts[n + 1])])
                lengthMax = max(lengthMax, name.count)
                pairs.append(.init(key: ScreeningKey.exact(name), name: UInt32(n)))
                guard name.count >= Self.fuzzyLengthMin else { continue }
                for segment in 0..<Self.segmentsPerName {
                    let key = ScreeningKey.segment(segment, nameLength: name.count, name[Self.segment(segment, length: name.count)])
                    pairs.append(.init(key: key, name: UInt32(n)))
                }
            }
        }
        self.scalars = scalars
        self.starts = starts
        self.lengthMax = lengthMax
        postings = ScreeningPostings(pairs)
    }

    /// Distinct non-empty normalised names in the index.
    public var namesCount: Int { starts.count - 1 }

    /// Bytes the index holds on to (array capacities; the few fixed-size fields aside).
    public var storageBytes: Int {
        (scalars.capacity + starts.capacity) * MemoryLayout<UInt32>.stride + postings.storageBytes
    }

    /// 0 for an exact match after normalisation, 1 or 2 for a fuzzy one, 3 otherwise. An empty
    /// normalised name gives 3.
    public func distance(to name: String) -> Int {
        distance(normalized: NameNormalization.scalars(name))
    }

    func distance(normalized query: [UInt32]) -> Int {
        let cap = Self.distanceCap
        // Longer than every name by `cap` or more: no name is within reach.
        guard !query.isEmpty, query.count < lengthMax + cap else { return cap }
        return query.withUnsafeBufferPointer { query in
            scalars.withUnsafeBufferPointer { all in
                if containsExactly(query, all) { return 0 }
                guard query.count >= Self.fuzzyLengthMin else { return cap }
                return fuzzyDistance(query, all)
            }
        }
    }

    private func containsExactly(_ query: UnsafeBufferPointer<UInt32>, _ all: UnsafeBufferPointer<UInt32>) -> Bool {
        for posting in postings.group(ScreeningKey.exact(query)) where name(Int(postings.names[posting]), all).elementsEqual(query) {
            return true
        }
        return false
    }

    /// The smallest distance, 1 to `distanceCap`, to a name of `fuzzyLengthMin` scalars or more,
    /// for a query that matches no name exactly.
    private func fuzzyDistance(_ query: UnsafeBufferPointer<UInt32>, _ all: UnsafeBufferPointer<UInt32>) -> Int {
        var best = Self.distanceCap
        // Δ = query length − name length, nearest lengths first.
        for delta in [0, 1, -1, 2, -2] {
            let length = query.count - delta
            guard abs(delta) < best, length >= Self.fuzzyLengthMin, length <= lengthMax else { continue }
            for segment in 0..<Self.segmentsPerName {
                let edits = best - 1  // only a name closer than `best` matters
                guard abs(delta) <= edits else { break }
                let place = Self.segment(segment, length: length)
                // The shifts s with |s| + |Δ − s| ≤ edits: ⌈(Δ − edits) / 2⌉ ... ⌊(Δ + edits) / 2⌋.
                for shift in -((edits - delta) >> 1)...((delta + edits) >> 1) {
                    let start = place.lowerBound + shift
                    guard start >= 0, start + place.count <= query.count else { continue }
                    let key = ScreeningKey.segment(segment, nameLength: length, query[start..<(start + place.count)])
                    for posting in postings.group(key) {
                        let candidate = name(Int(postings.names[posting]), all)
                        guard candidate.count == length else { continue }  // a hash collision
                        let d = ScreeningDistance.bounded(query, candidate, limit: best - 1)
                        if d < best { best = d }
                        if best == 1 { return 1 }  // 0 is an exact match, ruled out
                    }
                }
            }
        }
        return best
    }

    @inline(__always)
    private func name(_ n: Int, _ all: UnsafeBufferPointer<UInt32>) -> UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(rebasing: all[Int(starts[n])..<Int(starts[n + 1])])
    }

    /// Where segment `number` (0 to 2) of a name of `length` scalars lies: the first segments
    /// ⌊length / 3⌋ long, the last `length % 3` of them one longer.
    static func segment(_ number: Int, length: Int) -> Range<Int> {
        precondition((0..<segmentsPerName).contains(number) && length >= segmentsPerName)
        let short = length / segmentsPerName
        let shortCount = segmentsPerName - length % segmentsPerName
        let start = number <= shortCount ? number * short : shortCount * short + (number - shortCount) * (short + 1)
        return start..<(start + (number < shortCount ? short : short + 1))
    }
}
