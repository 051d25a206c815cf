import Domain
import Testing

@Suite("Token bucket")
struct TokenBucketTests {
    @Test func aBurstThenTheSteadyRate() {
        let limits = TokenBucket.Limits(perSecond: 10, burst: 3)
        var bucket = TokenBucket(limits, nowMicros: 0)
        for _ in 0..<3 { #expect(bucket.take(limits, nowMicros: 0) == .admitted) }
        #expect(bucket.take(limits, nowMicros: 0) == .limited(retryAfterSeconds: 1))
        #expect(bucket.take(limits, nowMicros: 99_999) == .limited(retryAfterSeconds: 1))  // 0.99999 of a token
        #expect(bucket.take(limits, nowMicros: 100_000) == .admitted)  // one token per 100 ms
        // A long pause refills to the burst, never beyond.
        for _ in 0..<3 { #expect(bucket.take(limits, nowMicros: 3_600_000_000) == .admitted) }
        #expect(bucket.take(limits, nowMicros: 3_600_000_000) != .admitted)
    }

    @Test func retryAfterRoundsUpToWholeSeconds() {
        let slow = TokenBucket.Limits(perSecond: 1, burst: 1)
        var bucket = TokenBucket(slow, nowMicros: 0)
        #expect(bucket.take(slow, nowMicros: 0) == .admitted)
        #expect(bucket.take(slow, nowMicros: 1) == .limited(retryAfterSeconds: 1))
        #expect(bucket.take(slow, nowMicros: 999_999) == .limited(retryAfterSeconds: 1))
        #expect(bucket.take(slow, nowMicros: 1_000_000) == .admitted)
    }

    @Test func aClockThatStepsBackRefillsNothingAndExtremesDoNotOverflow() {
        let limits = TokenBucket.Limits(perSecond: 100_000, burst: 100_000)
        var bucket = TokenBucket(limits, nowMicros: 10_000_000)
        for _ in 0..<100_000 { _ = bucket.take(limits, nowMicros: 10_000_000) }
        #expect(bucket.take(limits, nowMicros: 0) != .admitted)
        #expect(bucket.take(limits, nowMicros: .max) == .admitted)
    }
}
