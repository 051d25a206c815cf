/// Addresses of C2SP tlog-tiles resources: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
/// Tiles are 256 hashes wide (height 8); `<N>` is written in zero-padded groups of three digits,
/// every group but the last prefixed with `x` (1234067 → `x001/x234/067`).
public enum TilePath {
    public static let width = 256
    public static let height = 8
    public static let levelMax = 63

    /// `tile/<level>/<N>[.p/<width>]`; `partialWidth` is nil for a full tile.
    public static func tile(level: Int, index: UInt64, partialWidth: Int? = nil) -> String {
        precondition((0...levelMax).contains(level), "tile level out of range")
        return "tile/\(level)/" + encode(index: index) + suffix(partialWidth)
    }

    /// `tile/entries/<N>[.p/<width>]`.
    public static func entries(index: UInt64, partialWidth: Int? = nil) -> String {
        "tile/entries/" + encode(index: index) + suffix(partialWidth)
    }

    static func encode(index: UInt64) -> String {
        var groups: [String] = []
        var rest = index
        repeat {
            let group = String(rest % 1000)
            groups.append(String(repeating: "0", count: 3 - group.count) + group)
            rest /= 1000
        } while rest > 0
        return groups.reversed().enumerated().map { $0.offset == groups.count - 1 ? $0.element : "x" + $0.element }
            .joined(separator: "/")
    }

    private static func suffix(_ partialWidth: Int?) -> String {
        guard let partialWidth else { return "" }
        precondition((1..<width).contains(partialWidth), "a partial tile holds 1 to 255 hashes")
        return ".p/\(partialWidth)"
    }

    /// The tiles (level, index, width) that a tree of `size` leaves consists of, full and
    /// partial, in the order an exporter writes them. Width 256 means a full tile.
    public static func tiles(forTreeSize size: UInt64) -> [(level: Int, index: UInt64, width: Int)] {
        var result: [(Int, UInt64, Int)] = []
        var level = 0
        var span: UInt64 = 1  // leaves per hash at this level: 256^level
        while level <= levelMax {
            let hashes = size / span
            if hashes == 0 { break }
            let fullTiles = hashes / UInt64(width)
            for index in 0..<fullTiles { result.append((level, index, width)) }
            let partial = Int(hashes % UInt64(width))
            if partial > 0 { result.append((level, fullTiles, partial)) }
            guard span <= UInt64.max / UInt64(width) else { break }
            span *= UInt64(width)
            level += 1
        }
        return result
    }
}

/// Entry bundles: each entry as a big-endian uint16 length followed by its bytes.
public enum EntryBundle {
    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        case truncated(entry: Int)
        case entryTooLarge(entry: Int)
        public var description: String {
            switch self {
            case .truncated(let entry): "entry bundle ends inside entry \(entry)"
            case .entryTooLarge(let entry): "entry \(entry) is longer than 65,535 bytes"
            }
        }
    }

    public static func encode(_ entries: [[UInt8]]) throws(DecodingError) -> [UInt8] {
        var out: [UInt8] = []
        for (offset, entry) in entries.enumerated() {
            guard entry.count <= 65_535 else { throw .entryTooLarge(entry: offset) }
            out.append(UInt8(entry.count >> 8))
            out.append(UInt8(entry.count & 0xff))
            out.append(contentsOf: entry)
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> [[UInt8]] {
        try split(bytes).map { Array(bytes[$0]) }
    }

    /// The entries of a bundle as positions in it, without copying them.
    static func split(_ bytes: [UInt8]) throws(DecodingError) -> [Range<Int>] {
        var entries: [Range<Int>] = []
        var position = 0
        while position < bytes.count {
            guard position + 2 <= bytes.count else { throw .truncated(entry: entries.count) }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            position += 2
            guard position + length <= bytes.count else { throw .truncated(entry: entries.count) }
            entries.append(position..<(position + length))
            position += length
        }
        return entries
    }
}
