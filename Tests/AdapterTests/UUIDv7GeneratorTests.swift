import Domain
import Foundation
import MemoryAdapters
import SystemAdapters
import Testing

/// RFC 9562 §5.7: 48 bits of Unix milliseconds, version 7, variant 10, 74 random bits.
@Suite struct UUIDv7GeneratorTests {
    @Test func layoutFollowsRFC9562() {
        let milliseconds: Int64 = 1_795_512_600_123
        let generator = UUIDv7Generator(clock: ManualClock(UTCTimestamp(microsecondsSinceEpoch: milliseconds * 1_000 + 456)))
        for _ in 0..<100 {
            let uuid = generator.newTransactionID().rawValue.uuid
            let bytes = withUnsafeBytes(of: uuid) { Array($0) }
            let stamp = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(stamp == UInt64(milliseconds))
            #expect(bytes[6] >> 4 == 7, "version 7")
            #expect(bytes[8] >> 6 == 0b10, "variant 10")
        }
    }

    /// The 74 random bits differ from id to id, and each random byte takes many values (a constant
    /// or a repeated draw would fail this).
    @Test func randomBitsVary() {
        let generator = UUIDv7Generator(clock: ManualClock(UTCTimestamp(microsecondsSinceEpoch: 0)))
        let ids = (0..<2_000).map { _ in withUnsafeBytes(of: generator.newTransactionID().rawValue.uuid) { Array($0) } }
        #expect(Set(ids).count == ids.count)
        for index in [7, 9, 10, 11, 12, 13, 14, 15] {
            #expect(Set(ids.map { $0[index] }).count > 200, "byte \(index) barely varies")
        }
        #expect(Set(ids.map { $0[6] & 0x0f }).count == 16)
        #expect(Set(ids.map { $0[8] & 0x3f }).count > 50)
    }
}
