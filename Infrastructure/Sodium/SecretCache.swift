import CSodium
import Synchronization

/// A bounded cache of fixed-size secrets (unwrapped data keys, key-encryption keys, blind-index
/// keys) by name. The secrets sit in one `sodium_malloc` slab (guarded, locked against swapping
/// where RLIMIT_MEMLOCK allows, wiped and freed on release); a slot is wiped with
/// `sodium_memzero` when its secret is evicted. When the cache is full, an insertion evicts a
/// secret not used since the clock hand last passed it (CLOCK, a cheap approximation of LRU).
///
/// Readers get a copy of the secret into memory of their own (`copy(_:to:)`), taken under the
/// lock, so that an eviction by another thread never changes a key under a running operation;
/// the caller wipes its copy when done.
final class SecretCache<Name: Hashable & Sendable>: Sendable {
    let slotBytes: Int
    let slotsMax: Int
    /// `slotsMax` slots of `slotBytes`; read and written only under `state`'s lock.
    private nonisolated(unsafe) let slab: UnsafeMutableRawPointer
    private let state: Mutex<State>

    private struct State {
        var slotOf: [Name: Int] = [:]
        /// The name held in each slot; `nil` for a slot never used.
        var names: [Name?]
        /// CLOCK's "used since the hand passed" bit of each slot.
        var used: [Bool]
        var hand = 0
        var slotsInUse = 0
    }

    init(slotBytes: Int, slotsMax: Int) throws {
        precondition(slotBytes > 0 && slotsMax > 0, "a cache holds at least one secret of at least one byte")
        try Sodium.initialize()
        guard let slab = sodium_malloc(slotBytes * slotsMax) else { throw SodiumNoteSigner.Failure.outOfMemory }
        sodium_memzero(slab, slotBytes * slotsMax)
        self.slotBytes = slotBytes
        self.slotsMax = slotsMax
        self.slab = slab
        var state = State(names: [Name?](repeating: nil, count: slotsMax), used: [Bool](repeating: false, count: slotsMax))
        state.slotOf.reserveCapacity(slotsMax)
        self.state = Mutex(state)
    }

    deinit {
        sodium_memzero(slab, slotBytes * slotsMax)
        sodium_free(slab)
    }

    /// Copies the secret named `name` to `destination` (`slotBytes` writable bytes) and returns
    /// true, or returns false when the cache does not hold it.
    func copy(_ name: Name, to destination: UnsafeMutableRawPointer) -> Bool {
        state.withLock { state in
            guard let slot = state.slotOf[name] else { return false }
            state.used[slot] = true
            destination.copyMemory(from: slab + slot * slotBytes, byteCount: slotBytes)
            return true
        }
    }

    /// Stores a copy of the `slotBytes` at `source` under `name`, evicting (and wiping) another
    /// secret when the cache is full.
    func insert(_ name: Name, from source: UnsafeRawPointer) {
        state.withLock { state in
            let slot: Int
            if let existing = state.slotOf[name] {
                slot = existing
            } else if state.slotsInUse < slotsMax {
                slot = state.slotsInUse
                state.slotsInUse += 1
            } else {
                while state.used[state.hand] {
                    state.used[state.hand] = false
                    state.hand = (state.hand + 1) % slotsMax
                }
                slot = state.hand
                state.hand = (state.hand + 1) % slotsMax
                if let evicted = state.names[slot] { state.slotOf[evicted] = nil }
                sodium_memzero(slab + slot * slotBytes, slotBytes)
            }
            (slab + slot * slotBytes).copyMemory(from: source, byteCount: slotBytes)
            state.names[slot] = name
            state.slotOf[name] = slot
            state.used[slot] = true
        }
    }

    /// How many secrets the cache holds (at most `slotsMax`).
    var count: Int { state.withLock { $0.slotOf.count } }
}

/// Runs `body` with `byteCount` bytes of scratch memory for secrets, wiped with `sodium_memzero`
/// afterwards whatever `body` does.
@inline(__always)
func withSecretScratch<Result, Failure: Error>(
    byteCount: Int, _ body: (UnsafeMutableRawPointer) throws(Failure) -> Result
) throws(Failure) -> Result {
    try withUnsafeTemporaryAllocation(byteCount: byteCount, alignment: 16) { (buffer) throws(Failure) -> Result in
        let base = buffer.baseAddress!
        defer { sodium_memzero(base, byteCount) }
        return try body(base)
    }
}
