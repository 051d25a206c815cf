import Domain
import Foundation

/// RFC 9562 UUID version 7 ids: 48 bits of Unix milliseconds, then 74 random bits.
/// Time-ordered ids keep B-tree inserts local; the random part comes from the system CSPRNG.
public struct UUIDv7Generator: IDGenerator {
    private let clock: any Clock

    public init(clock: any Clock) {
        self.clock = clock
    }

    public func newTransactionID() -> TransactionID {
        TransactionID(makeUUID())
    }

    public func newDecisionID() -> UUID {
        makeUUID()
    }

    /// A UUIDv7 for any other kind of id (tenants, API clients).
    public func newUUID() -> UUID {
        makeUUID()
    }

    func makeUUID() -> UUID {
        let milliseconds = clock.now().unixMillisecondsClamped
        var generator = SystemRandomNumberGenerator()
        // Two draws of 64 bits (one system call each; a draw per byte cost ten).
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> UInt64(40 - 8 * index)) }
        withUnsafeBytes(of: random) { for index in 6..<16 { bytes[index] = $0[index - 6] } }
        bytes[6] = 0x70 | (bytes[6] & 0x0f)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3f)  // variant 10
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
