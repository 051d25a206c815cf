import Foundation
import Domain
import Synchronization

/// A clock that reads a settable instant: deterministic tests of time rules.
public final class ManualClock: Clock {
    private let current: Mutex<UTCTimestamp>

    public init(_ start: UTCTimestamp) {
        current = Mutex(start)
    }

    public func now() -> UTCTimestamp { current.withLock { $0 } }

    public func set(_ instant: UTCTimestamp) { current.withLock { $0 = instant } }
}

/// Hands out ids 00000000-0000-0000-0000-000000000001, …2, … in order.
public final class SequentialIDGenerator: IDGenerator {
    private let next = Mutex<UInt64>(1)

    public init() {}

    public func newTransactionID() -> TransactionID {
        let n = next.withLock { value in
            defer { value += 1 }
            return value
        }
        var bytes = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: n >> UInt64(56 - 8 * index)) }
        let uuid = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]))
        return TransactionID(uuid)
    }
}
