import Domain
import Synchronization

/// Token buckets per client in process memory (each server limits on its own: with n servers,
/// a client gets up to n times the rate). At most `clientsMax` buckets are kept; when full,
/// the buckets of clients idle for longer than a full refill are dropped (a full bucket is what
/// a new one would be anyway), and if none is, the oldest half.
public final class InProcessRateLimiter: RateLimiter {
    public static let clientsMaxDefault = 100_000

    private struct Entry {
        var bucket: TokenBucket
        var lastMicros: Int64
    }

    private let limits: TokenBucket.Limits
    private let clock: any Clock
    private let clientsMax: Int
    private let buckets = Mutex<[ClientID: Entry]>([:])

    public init(_ limits: TokenBucket.Limits, clock: any Clock, clientsMax: Int = InProcessRateLimiter.clientsMaxDefault) {
        precondition(clientsMax >= 1, "at least one client is tracked")
        self.limits = limits
        self.clock = clock
        self.clientsMax = clientsMax
    }

    public func admit(_ client: ClientID) -> RateDecision {
        let now = clock.now().microsecondsSinceEpoch
        return buckets.withLock { buckets in
            if buckets[client] == nil, buckets.count >= clientsMax { evict(&buckets, now: now) }
            var entry = buckets[client] ?? Entry(bucket: TokenBucket(limits, nowMicros: now), lastMicros: now)
            let decision = entry.bucket.take(limits, nowMicros: now)
            entry.lastMicros = now
            buckets[client] = entry
            return decision
        }
    }

    private func evict(_ buckets: inout [ClientID: Entry], now: Int64) {
        let refillMicros = Int64(limits.burst) * 1_000_000 / Int64(limits.perSecond) + 1
        buckets = buckets.filter { now - $0.value.lastMicros <= refillMicros }
        guard buckets.count >= clientsMax else { return }
        let keep = buckets.sorted { $0.value.lastMicros > $1.value.lastMicros }.prefix(clientsMax / 2)
        buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
