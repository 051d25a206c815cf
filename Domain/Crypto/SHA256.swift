/// SHA-256 (FIPS 180-4) in pure Swift, so that the core can hash without a C library:
/// migration checksums, audit-log leaves and Merkle nodes.
/// Tested against the NIST vectors and cross-checked against libsodium and swift-crypto.
///
/// Hashing allocates nothing: the pending partial block, the state and the message schedule
/// live inline or on the stack, and `digest(_:)` / `finalizeDigest()` return a fixed-size
/// `SHA256Digest`. The `[UInt8]`-returning entry points remain for callers that want arrays.
public struct SHA256: Sendable {
    public static let digestByteCount = 32
    static let blockByteCount = 64

    private var state = SHA256.initialState
    /// Bytes of an incomplete block, waiting for more input (`pendingCount` < 64 of them).
    private var pending = SHA256.Block()
    private var pendingCount = 0
    private var messageByteCount: UInt64 = 0

    public init() {}

    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Completes a pending partial block, then compresses whole blocks straight from the input.
    public mutating func update(_ input: UnsafeRawBufferPointer) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        messageByteCount &+= UInt64(input.count)
        var offset = 0
        if pendingCount > 0 {
            let take = min(SHA256.blockByteCount - pendingCount, input.count)
            let filled = pendingCount
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.advanced(by: filled).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            offset = take
            guard pendingCount == SHA256.blockByteCount else { return }
            let block = pending
            withUnsafeBytes(of: block) { SHA256.compress(&state, $0.baseAddress!, blockCount: 1) }
            pendingCount = 0
        }
        let wholeBlocks = (input.count - offset) / SHA256.blockByteCount
        if wholeBlocks > 0 {
            SHA256.compress(&state, base.advanced(by: offset), blockCount: wholeBlocks)
            offset += wholeBlocks * SHA256.blockByteCount
        }
        let rest = input.count - offset
        if rest > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: base.advanced(by: offset), byteCount: rest)
            }
            pendingCount = rest
        }
    }

    public consuming func finalize() -> [UInt8] {
        finalizeDigest().bytes
    }

    /// Pads the message (0x80, zeros, the bit length) and returns the digest.
    public consuming func finalizeDigest() -> SHA256Digest {
        let messageBitCount = messageByteCount &* 8
        var tail = (SHA256.Block(), SHA256.Block())
        let count = pendingCount
        let tailByteCount = count < 56 ? 64 : 128
        let block = pending
        withUnsafeMutableBytes(of: &tail) { bytes in
            withUnsafeBytes(of: block) { bytes.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            bytes[count] = 0x80
            bytes.storeBytes(of: messageBitCount.bigEndian, toByteOffset: tailByteCount - 8, as: UInt64.self)
        }
        withUnsafeBytes(of: tail) { SHA256.compress(&state, $0.baseAddress!, blockCount: tailByteCount / 64) }
        return SHA256Digest(state: state)
    }
}

// MARK: - The compression function

extension SHA256 {
    /// Eight 32-bit working words.
    struct State: Sendable {
        var a, b, c, d, e, f, g, h: UInt32
    }

    /// 64 bytes, inline.
    struct Block: Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    static let initialState = State(
        a: 0x6a09_e667, b: 0xbb67_ae85, c: 0x3c6e_f372, d: 0xa54f_f53a,
        e: 0x510e_527f, f: 0x9b05_688c, g: 0x1f83_d9ab, h: 0x5be0_cd19
    )

    /// `blockCount` 64-byte blocks from `blocks` (any alignment); the message schedule is on the stack.
    static func compress(_ state: inout State, _ blocks: UnsafeRawPointer, blockCount: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            let w = schedule.baseAddress!
            for blockIndex in 0..<blockCount {
                let block = blocks.advanced(by: blockIndex * blockByteCount)
                for t in 0..<16 {
                    w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                }
                for t in 16..<64 {
                    let x = w[t - 15]
                    let y = w[t - 2]
                    let s0 = x.rotr(7) ^ x.rotr(18) ^ (x >> 3)
                    let s1 = y.rotr(17) ^ y.rotr(19) ^ (y >> 10)
                    w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                }
                rounds(&state, w)
            }
        }
    }

    @inline(__always)
    private static func rounds(_ state: inout State, _ w: UnsafeMutablePointer<UInt32>) {
        var (a, b, c, d, e, f, g, h) = (state.a, state.b, state.c, state.d, state.e, state.f, state.g, state.h)
        withUnsafeBytes(of: roundConstants) { constants in
            let k = constants.baseAddress!.assumingMemoryBound(to: UInt32.self)
            // Eight rounds a step, each naming the working words in their rotated roles, so
            // that no word is moved between rounds.
            for t in stride(from: 0, to: 64, by: 8) {
                round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t])
                round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[t + 1])
                round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[t + 2])
                round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[t + 3])
                round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[t + 4])
                round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[t + 5])
                round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[t + 6])
                round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[t + 7])
            }
        }
        state.a &+= a
        state.b &+= b
        state.c &+= c
        state.d &+= d
        state.e &+= e
        state.f &+= f
        state.g &+= g
        state.h &+= h
    }

    /// One round: `d` += T1 and `h` = T1 + T2 (FIPS 180-4 §6.2.2 step 3, with the renaming left
    /// to the caller).
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
    ) {
        let t1 = h &+ (e.rotr(6) ^ e.rotr(11) ^ e.rotr(25)) &+ (g ^ (e & (f ^ g))) &+ kw
        d &+= t1
        h = t1 &+ (a.rotr(2) ^ a.rotr(13) ^ a.rotr(22)) &+ ((a & b) | (c & (a | b)))
    }

    private static let roundConstants: (
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
    ) = (
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2
    )
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotr(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}

/// A SHA-256 digest held inline (32 bytes in order), so that computing, comparing and storing
/// one allocates nothing.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    /// 32 zero bytes (the `previous_leaf_hash` of a log's first entry), not a digest of anything.
    public static let zero = SHA256Digest(storage: (0, 0, 0, 0))

    /// The 32 bytes in order, as memory (not numeric) words.
    private var storage: (UInt64, UInt64, UInt64, UInt64)

    private init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    init(state: SHA256.State) {
        func pair(_ high: UInt32, _ low: UInt32) -> UInt64 {
            (UInt64(high) << 32 | UInt64(low)).bigEndian
        }
        storage = (pair(state.a, state.b), pair(state.c, state.d), pair(state.e, state.f), pair(state.g, state.h))
    }

    /// The 32 bytes at `pointer` (any alignment).
    public init(loadingFrom pointer: UnsafeRawPointer) {
        storage = (
            pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// `nil` unless `bytes` holds exactly 32 bytes.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == SHA256Digest.byteCount else { return nil }
        self = bytes.withUnsafeBytes { SHA256Digest(loadingFrom: $0.baseAddress!) }
    }

    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }

    /// Lower-case hexadecimal.
    public var description: String { bytes.hexString }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
