import Domain
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating system's real-time clock, read with microsecond resolution.
public struct SystemClock: Clock {
    public init() {}

    public func now() -> UTCTimestamp {
        var spec = timespec()
        let status = clock_gettime(CLOCK_REALTIME, &spec)
        precondition(status == 0, "clock_gettime(CLOCK_REALTIME) failed")
        return UTCTimestamp(microsecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}
