@testable import SodiumAdapters
import Testing

/// The secret cache's table against a model: random names in and out of a small cache, with
/// evictions and backward-shift deletions on every insertion once full.
@Suite struct SodiumSecretCacheTests {
    struct Name: SecretName {
        let value: UInt64
        /// Few distinct hashes, so that runs in the table are long and deletions shift them.
        var hash64: UInt64 { value % 5 }
        func isSameName(as other: Name) -> Bool { value == other.value }
    }

    @Test func findsExactlyWhatItHoldsThroughEvictions() throws {
        let cache = try SecretCache<Name>(slotBytes: 8, slotsMax: 6)
        var generator = SystemRandomNumberGenerator()
        var inserted = Set<UInt64>()
        for step in 0..<5_000 {
            let value = UInt64.random(in: 0..<40, using: &generator)
            var secret = value &* 0x0101_0101_0101_0101 ^ 0xa5
            var copy: UInt64 = 0
            if cache.copy(Name(value: value), to: &copy) {
                #expect(copy == secret, "step \(step): a name finds its own secret")
            } else {
                withUnsafeBytes(of: &secret) { cache.insert(Name(value: value), from: $0.baseAddress!) }
                inserted.insert(value)
                #expect(cache.copy(Name(value: value), to: &copy) && copy == secret, "step \(step): just inserted")
            }
            #expect(cache.count <= 6)
            if step % 50 == 0 {  // every slot in use is reachable from the table, with its own secret
                var found = 0
                for value in UInt64(0)..<40 where cache.copy(Name(value: value), to: &copy) {
                    found += 1
                    #expect(copy == value &* 0x0101_0101_0101_0101 ^ 0xa5)
                }
                #expect(found == cache.count, "step \(step)")
            }
        }
        #expect(cache.count == 6)
        #expect(inserted.count == 40)
    }
}
