/// A token bucket (per client): `burst` requests at once, refilled at `perSecond`. Pure value
/// arithmetic in microseconds, so that the same calls give the same answers; the store of
/// buckets is an adapter's (`RateLimiter`).
public struct TokenBucket: Sendable, Hashable {
    public struct Limits: Sendable, Hashable {
        public let perSecond: Int
        public let burst: Int
        public init(perSecond: Int, burst: Int) {
            precondition(perSecond >= 1 && burst >= 1, "a limit admits something")
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    /// Tokens, in millionths, so that refills of less than one token a microsecond add up exactly.
    private var microTokens: Int64
    private var updatedMicros: Int64

    public init(_ limits: Limits, nowMicros: Int64) {
        microTokens = Int64(limits.burst) * 1_000_000
        updatedMicros = nowMicros
    }

    /// Takes one token if there is one. Otherwise, how long until there is (rounded up to whole
    /// seconds, for `Retry-After`).
    public mutating func take(_ limits: Limits, nowMicros: Int64) -> RateDecision {
        let capacity = Int64(limits.burst) * 1_000_000
        let elapsed = max(0, nowMicros - updatedMicros)  // a clock that steps back refills nothing
        // elapsed µs × perSecond tokens/s = elapsed × perSecond millionths of a token.
        let (refill, overflow) = elapsed.multipliedReportingOverflow(by: Int64(limits.perSecond))
        microTokens = overflow ? capacity : min(capacity, microTokens + min(refill, capacity))
        updatedMicros = max(updatedMicros, nowMicros)
        if microTokens >= 1_000_000 {
            microTokens -= 1_000_000
            return .admitted
        }
        let missing = 1_000_000 - microTokens  // millionths of a token
        let waitMicros = (missing + Int64(limits.perSecond) - 1) / Int64(limits.perSecond)
        return .limited(retryAfterSeconds: Int((waitMicros + 999_999) / 1_000_000))
    }
}

public enum RateDecision: Sendable, Hashable {
    case admitted
    case limited(retryAfterSeconds: Int)
}

/// Port: admits or limits one request of a client.
public protocol RateLimiter: Sendable {
    func admit(_ client: ClientID) -> RateDecision
}

/// A request over its client's rate limit.
public struct RateLimited: DomainError, Equatable, CustomStringConvertible {
    public let retryAfterSeconds: Int
    public init(retryAfterSeconds: Int) { self.retryAfterSeconds = retryAfterSeconds }
    public var slug: String { "rate-limited" }
    public var description: String { "too many requests; retry after \(retryAfterSeconds) s" }
}
