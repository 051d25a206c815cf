import Domain
import Testing

@Suite struct TilePathTests {
    @Test func indicesAreWrittenInGroupsOfThree() {
        #expect(TilePath.tile(level: 0, index: 1_234_067) == "tile/0/x001/x234/067")
        #expect(TilePath.tile(level: 2, index: 0) == "tile/2/000")
        #expect(TilePath.tile(level: 1, index: 999) == "tile/1/999")
        #expect(TilePath.tile(level: 1, index: 1000) == "tile/1/x001/000")
        #expect(TilePath.entries(index: 5, partialWidth: 17) == "tile/entries/005.p/17")
    }

    /// The worked example of the tlog-tiles specification.
    @Test func aTreeOf70000LeavesHasTheSpecifiedTiles() {
        let tiles = TilePath.tiles(forTreeSize: 70_000)
        #expect(tiles.filter { $0.level == 0 && $0.width == 256 }.count == 273)
        #expect(tiles.contains { $0.level == 0 && $0.index == 273 && $0.width == 112 })
        #expect(tiles.filter { $0.level == 1 }.map(\.width) == [256, 17])
        #expect(tiles.filter { $0.level == 2 }.map(\.width) == [1])
        #expect(TilePath.tiles(forTreeSize: 256).map(\.width) == [256, 1])
        #expect(TilePath.tiles(forTreeSize: 0).isEmpty)
    }

    @Test func entryBundlesRoundTripAndRejectTruncation() throws {
        let entries: [[UInt8]] = [[], [1], Array(repeating: 7, count: 300)]
        let bundle = try EntryBundle.encode(entries)
        #expect(Array(bundle.prefix(2)) == [0, 0])
        #expect(try EntryBundle.decode(bundle) == entries)
        #expect(throws: EntryBundle.DecodingError.truncated(entry: 2)) { try EntryBundle.decode(Array(bundle.dropLast())) }
        #expect(throws: EntryBundle.DecodingError.entryTooLarge(entry: 0)) {
            try EntryBundle.encode([Array(repeating: 0, count: 65_536)])
        }
    }
}
