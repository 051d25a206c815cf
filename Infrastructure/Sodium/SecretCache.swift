import CSodium
import Synchronization

/// What a `SecretCache` is keyed by: a name with a cheap 64-bit hash of its own (the cache
/// mixes it with a per-cache random seed; names whose hashes collide cost a longer probe of the
/// bounded table, never a wrong secret, since every candidate is compared in full) and its own
/// equality. Lookups take the name borrowed: no copy (and no reference count traffic) on the
/// hot path.
protocol SecretName: Sendable {
    var hash64: UInt64 { get }
    func isSameName(as other: Self) -> Bool
}

/// A bounded cache of fixed-size secrets (unwrapped data keys, key-encryption keys, blind-index
/// keys) by name. The secrets sit in one `sodium_malloc` slab (guarded, locked against swapping
/// where RLIMIT_MEMLOCK allows, wiped and freed on release); a slot is wiped with
/// `sodium_memzero` when its secret is evicted. When the cache is full, an insertion evicts a
/// secret not used since the clock hand last passed it (CLOCK, a cheap approximation of LRU).
///
/// Readers get a copy of the secret into memory of their own (`copy(_:to:)`), taken under the
/// lock, so that an eviction by another thread never changes a key under a running operation;
/// the caller wipes its copy when done. Names are found through an open-addressing table
/// (linear probing, at most half full, backward-shift deletion): a lookup is one multiply and
/// usually one comparison, cheaper than `Dictionary`'s SipHash on the sealing path.
final class SecretCache<Name: SecretName>: Sendable {
    let slotBytes: Int
    let slotsMax: Int
    /// `slotsMax` slots of `slotBytes`; read and written only under `state`'s lock.
    private nonisolated(unsafe) let slab: UnsafeMutableRawPointer
    private let state: Mutex<State>
    private let seed: UInt64
    /// log2 of the table's size.
    private let tableBits: Int

    private struct Slot {
        var name: Name
        var hash: UInt64
        /// CLOCK's "used since the hand passed" bit.
        var used: Bool
    }

    private struct State {
        /// The slots in use, `slots.count` ≤ `slotsMax`; slot n's secret is at `slab + n · slotBytes`.
        var slots: [Slot] = []
        /// Slot numbers, or -1 for an empty place; a power of two, at least twice `slotsMax`.
        var table: [Int32]
        var hand = 0
    }

    init(slotBytes: Int, slotsMax: Int) throws {
        precondition(slotBytes > 0 && (1...1 << 24).contains(slotsMax), "a cache holds 1 to 2^24 secrets of at least one byte")
        try Sodium.initialize()
        guard let slab = sodium_malloc(slotBytes * slotsMax) else { throw SodiumNoteSigner.Failure.outOfMemory }
        sodium_memzero(slab, slotBytes * slotsMax)
        self.slotBytes = slotBytes
        self.slotsMax = slotsMax
        self.slab = slab
        var seed: UInt64 = 0
        randombytes_buf(&seed, MemoryLayout<UInt64>.size)
        self.seed = seed
        tableBits = Int.bitWidth - (2 * slotsMax - 1).leadingZeroBitCount
        var state = State(table: [Int32](repeating: -1, count: 1 << tableBits))
        state.slots.reserveCapacity(slotsMax)
        self.state = Mutex(state)
    }

    deinit {
        sodium_memzero(slab, slotBytes * slotsMax)
        sodium_free(slab)
    }

    @inline(__always)
    private func mixed(_ name: Name) -> UInt64 { (name.hash64 ^ seed) &* 0x9e37_79b9_7f4a_7c15 }

    @inline(__always)
    private func home(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> UInt64(64 - tableBits)) }

    /// Where `name` is in the table, or the empty place where it would go.
    @inline(__always)
    private func find(_ name: Name, hash: UInt64, in state: borrowing State) -> (place: Int, slot: Int?) {
        let mask = (1 << tableBits) - 1
        var place = home(hash)
        while true {
            let slot = Int(state.table[place])
            if slot < 0 { return (place, nil) }
            if state.slots[slot].hash == hash && state.slots[slot].name.isSameName(as: name) { return (place, slot) }
            place = (place + 1) & mask
        }
    }

    /// Copies the secret named `name` to `destination` (`slotBytes` writable bytes) and returns
    /// true, or returns false when the cache does not hold it.
    func copy(_ name: Name, to destination: UnsafeMutableRawPointer) -> Bool {
        let hash = mixed(name)
        return state.withLock { state in
            guard let slot = find(name, hash: hash, in: state).slot else { return false }
            if !state.slots[slot].used { state.slots[slot].used = true }
            destination.copyMemory(from: slab + slot * slotBytes, byteCount: slotBytes)
            return true
        }
    }

    /// Stores a copy of the `slotBytes` at `source` under `name`, evicting (and wiping) another
    /// secret when the cache is full.
    func insert(_ name: Name, from source: UnsafeRawPointer) {
        let hash = mixed(name)
        state.withLock { state in
            var (place, found) = find(name, hash: hash, in: state)
            let slot: Int
            if let found {
                slot = found
            } else if state.slots.count < slotsMax {
                slot = state.slots.count
                state.slots.append(Slot(name: name, hash: hash, used: true))
                state.table[place] = Int32(slot)
            } else {
                slot = evict(&state)
                state.slots[slot] = Slot(name: name, hash: hash, used: true)
                place = find(name, hash: hash, in: state).place  // the eviction may have moved places
                state.table[place] = Int32(slot)
            }
            (slab + slot * slotBytes).copyMemory(from: source, byteCount: slotBytes)
            state.slots[slot].used = true
        }
    }

    /// Frees a slot by CLOCK: wipes its secret and removes its name from the table.
    private func evict(_ state: inout State) -> Int {
        while state.slots[state.hand].used {
            state.slots[state.hand].used = false
            state.hand = (state.hand + 1) % slotsMax
        }
        let victim = state.hand
        state.hand = (state.hand + 1) % slotsMax
        sodium_memzero(slab + victim * slotBytes, slotBytes)
        let mask = (1 << tableBits) - 1
        var place = home(state.slots[victim].hash)
        while Int(state.table[place]) != victim { place = (place + 1) & mask }
        // Backward-shift deletion: pull later entries of the run into the hole when their home
        // allows, so that no lookup stops early at it.
        var next = place
        while true {
            next = (next + 1) & mask
            let slot = Int(state.table[next])
            if slot < 0 { break }
            let wanted = home(state.slots[slot].hash)
            let staysPut = place <= next ? (place < wanted && wanted <= next) : (place < wanted || wanted <= next)
            if staysPut { continue }
            state.table[place] = state.table[next]
            place = next
        }
        state.table[place] = -1
        return victim
    }

    /// How many secrets the cache holds (at most `slotsMax`).
    var count: Int { state.withLock { $0.slots.count } }
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
