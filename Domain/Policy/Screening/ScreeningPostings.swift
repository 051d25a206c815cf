import Foundation

/// Keys (64-bit hashes, `ScreeningKey`) to the numbers of the names that have them, built once:
/// the numbers sit in one array, grouped by key, and an open-addressing table with linear
/// probing maps each key to its group. Two keys whose hashes collide share a group: that only
/// adds candidates, which the caller verifies against the names themselves.
struct ScreeningPostings: Sendable {
    struct Pair {
        let key: UInt64
        let name: UInt32
    }

    /// Name numbers, grouped by key.
    let names: [UInt32]
    /// 0 marks an empty slot (no key is 0).
    private let slotKeys: [UInt64]
    /// A group's start in `names` (high 32 bits) and its end (low 32 bits).
    private let slotGroups: [UInt64]
    private let slotMask: Int

    /// Slots at most half full, so that a probe sequence stays short.
    static let slotsPerKeyMin = 2

    init(_ unsorted: [Pair]) {
        precondition(unsorted.count < Int(UInt32.max), "too many postings")
        let pairs = unsorted.sorted { $0.key != $1.key ? $0.key < $1.key : $0.name < $1.name }
        var names: [UInt32] = []
        names.reserveCapacity(pairs.count)
        var groups: [(key: UInt64, start: Int, end: Int)] = []
        for pair in pairs {
            precondition(pair.key != 0, "key 0 marks an empty slot")
            if let last = groups.last, last.key == pair.key {
                if names.last == pair.name { continue }  // the same name twice under one key
                groups[groups.count - 1].end += 1
            } else {
                groups.append((pair.key, names.count, names.count + 1))
            }
            names.append(pair.name)
        }
        var slots = 16
        while slots < Self.slotsPerKeyMin * groups.count { slots *= 2 }
        var keys = [UInt64](repeating: 0, count: slots)
        var ranges = [UInt64](repeating: 0, count: slots)
        for group in groups {
            var slot = Int(truncatingIfNeeded: group.key) & (slots - 1)
            while keys[slot] != 0 { slot = (slot + 1) & (slots - 1) }
            keys[slot] = group.key
            ranges[slot] = UInt64(group.start) << 32 | UInt64(group.end)
        }
        self.names = names
        slotKeys = keys
        slotGroups = ranges
        slotMask = slots - 1
    }

    /// Where the names with `key` sit in `names` (empty when none has it).
    @inline(__always)
    func group(_ key: UInt64) -> Range<Int> {
        var slot = Int(truncatingIfNeeded: key) & slotMask
        while true {
            let found = slotKeys[slot]
            if found == key {
                let group = slotGroups[slot]
                return Int(group >> 32)..<Int(group & 0xffff_ffff)
            }
            if found == 0 { return 0..<0 }
            slot = (slot + 1) & slotMask
        }
    }

    /// Bytes held by the arrays (their capacity).
    var storageBytes: Int {
        names.capacity * MemoryLayout<UInt32>.stride + slotKeys.capacity * MemoryLayout<UInt64>.stride
            + slotGroups.capacity * MemoryLayout<UInt64>.stride
    }
}

/// The keys the index files names under: a whole name, or one segment of a name of a given length.
enum ScreeningKey {
    static func exact(_ name: UnsafeBufferPointer<UInt32>) -> UInt64 {
        hash(tag: 1, length: name.count, name[...])
    }

    static func segment(_ number: Int, nameLength: Int, _ scalars: Slice<UnsafeBufferPointer<UInt32>>) -> UInt64 {
        hash(tag: 2 + UInt64(number), length: nameLength, scalars)
    }

    /// A multiply–xorshift hash over the scalars, finished with MurmurHash3's 64-bit mixer; never 0.
    @inline(__always)
    private static func hash(tag: UInt64, length: Int, _ scalars: Slice<UnsafeBufferPointer<UInt32>>) -> UInt64 {
        var h = (tag << 56) ^ (UInt64(truncatingIfNeeded: length) &* 0x9e37_79b9_7f4a_7c15)
        for value in scalars {
            h = (h ^ UInt64(value)) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 29
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h == 0 ? 1 : h
    }
}

enum ScreeningDistance {
    /// The Levenshtein distance of `a` and `b` if it is at most `limit` (0 to 3), else `limit + 1`.
    /// Only the diagonal band |i − j| ≤ `limit` of the matrix is computed (a path that leaves it
    /// costs more than `limit`), held in a vector; it stops as soon as a whole row exceeds `limit`.
    static func bounded(_ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>, limit: Int) -> Int {
        precondition((0...3).contains(limit), "the band holds at most 7 cells")
        let m = a.count, n = b.count
        if abs(m - n) > limit { return limit + 1 }
        if m == 0 || n == 0 { return max(m, n) }
        let width = 2 * limit + 1
        let over = Int32(limit + 1)
        // Cell (i, j) of the matrix is `row[j − i + limit]`; cells outside it stay at `over`.
        var previous = SIMD8<Int32>(repeating: over)
        for d in limit..<width where d - limit <= n { previous[d] = Int32(d - limit) }
        for i in 1...m {
            var current = SIMD8<Int32>(repeating: over)
            var rowMin = over
            for d in 0..<width {
                let j = i + d - limit
                guard j >= 0, j <= n else { continue }
                var value: Int32
                if j == 0 {
                    value = Int32(i)
                } else {
                    value = previous[d] + (a[i - 1] == b[j - 1] ? 0 : 1)  // from (i − 1, j − 1)
                    value = min(value, previous[d + 1] + 1)  // from (i − 1, j): `previous[width]` is `over`
                    if d > 0 { value = min(value, current[d - 1] + 1) }  // from (i, j − 1)
                }
                value = min(value, over)
                current[d] = value
                rowMin = min(rowMin, value)
            }
            if rowMin >= over { return limit + 1 }
            previous = current
        }
        return Int(previous[n - m + limit])
    }
}
