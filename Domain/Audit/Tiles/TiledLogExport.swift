/// The files of a C2SP tlog-tiles export of one log (docs/audit-log.md §7), computed from the
/// entries: entry bundles, Merkle tiles, the checkpoint. Pure; an adapter writes them out.
public enum TiledLogExport {
    public struct File: Sendable, Equatable {
        public let path: String
        public let bytes: [UInt8]
    }

    /// Every file for a log of `entries` under `checkpointNote` (whose size must equal the count).
    public static func files(entries: [[UInt8]], checkpointNote: String) throws(EntryBundle.DecodingError) -> [File] {
        var levels = MerkleLevels()
        for entry in entries { levels.append(leafHash: MerkleTree.leafHash(entry)) }
        var files = [File(path: "checkpoint", bytes: Array(checkpointNote.utf8))]
        let size = UInt64(entries.count)
        for tile in TilePath.tiles(forTreeSize: size) {
            let partial = tile.width == TilePath.width ? nil : tile.width
            files.append(File(
                path: TilePath.tile(level: tile.level, index: tile.index, partialWidth: partial),
                bytes: tileBytes(level: tile.level, index: tile.index, width: tile.width, from: levels)
            ))
            if tile.level == 0 {
                let start = Int(tile.index) * TilePath.width
                files.append(File(
                    path: TilePath.entries(index: tile.index, partialWidth: partial),
                    bytes: try EntryBundle.encode(Array(entries[start..<start + tile.width]))
                ))
            }
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
