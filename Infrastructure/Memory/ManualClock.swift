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

/// Hands out transaction ids 00000000-0000-0000-0000-000000000001, …2, … in order, and decision
/// ids 00000000-0000-0000-dec0-000000000001, …2, … from a counter of their own.
public final class SequentialIDGenerator: IDGenerator {
    private let next = Mutex<(transaction: UInt64, decision: UInt64)>((1, 1))

    public init() {}

    public func newTransactionID() -> TransactionID {
        TransactionID(Self.uuid(next.withLock { value in
            defer { value.transaction += 1 }
            return value.transaction
        }, tag: 0))
    }

    public func newDecisionID() -> UUID {
        Self.uuid(next.withLock { value in
            defer { value.decision += 1 }
            return value.decision
        }, tag: 0xdec0)
    }

    private static func uuid(_ n: UInt64, tag: UInt16) -> UUID {
        var bytes = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: n >> UInt64(56 - 8 * index)) }
        let (t0, t1) = (UInt8(tag >> 8), UInt8(truncatingIfNeeded: tag))
        return UUID(uuid: (0, 0, 0, 0, 0, 0, t0, t1, bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]))
    }
}
