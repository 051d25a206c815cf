/// The files of a C2SP tlog-tiles export of one log (docs/audit-log.md §7), computed from the
/// entries: entry bundles, Merkle tiles, the checkpoint. Pure; an adapter writes them out.
public enum TiledLogExport {
    public struct File: Sendable, Equatable {
        public let path: String
        public let bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// Every file for a log of `entries` under `checkpointNote`. Entry bundles are laid out for
    /// the checkpoint's `size` (by default the number of entries); when storage holds fewer
    /// entries than that, the bundles carry what there is and the tiles cover only those, so that
    /// a verifier finds exactly what storage holds.
    public static func files(
        entries: [[UInt8]], checkpointNote: String, size checkpointSize: UInt64? = nil
    ) throws(EntryBundle.DecodingError) -> [File] {
        let size = checkpointSize ?? UInt64(entries.count)
        var levels = MerkleLevels()
        for entry in entries { levels.append(leafHash: MerkleTree.leafHash(entry)) }
        var files = [File(path: "checkpoint", bytes: Array(checkpointNote.utf8))]
        for bundle in TilePath.tiles(forTreeSize: size) where bundle.level == 0 {
            let start = min(entries.count, Int(bundle.index) * TilePath.width)
            let end = min(entries.count, start + bundle.width)
            files.append(File(
                path: TilePath.entries(index: bundle.index, partialWidth: bundle.width == TilePath.width ? nil : bundle.width),
                bytes: try EntryBundle.encode(Array(entries[start..<end]))
            ))
        }
        for tile in TilePath.tiles(forTreeSize: UInt64(entries.count)) {
            let partial = tile.width == TilePath.width ? nil : tile.width
            files.append(File(
                path: TilePath.tile(level: tile.level, index: tile.index, partialWidth: partial),
                bytes: tileBytes(level: tile.level, index: tile.index, width: tile.width, from: levels)
            ))
        }
        return files
    }

    /// A tile's bytes: `width` hashes of Merkle level 8 × `level`, starting at hash `index` × 256.
    public static func tileBytes(level: Int, index: UInt64, width: Int, from levels: some MerkleSubtreeHashes) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(width * MerkleTree.hashByteCount)
        let first = index * UInt64(TilePath.width)
        for offset in 0..<UInt64(width) {
            bytes.append(contentsOf: levels.hash(level: level * TilePath.height, index: first + offset))
        }
        return bytes
    }
}
