/// Well-formed UTF-8 (Unicode Table 3-7: no overlong forms, no encoded surrogates, nothing above
/// U+10FFFF), checked over raw bytes without building strings; the same rule as
/// `String(validating:as:)`.
enum UTF8Validation {
    /// Whether all of `bytes` is well-formed UTF-8.
    static func isWellFormed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let raw = bytes.baseAddress else { return true }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        var offset = 0
        while offset < bytes.count {
            while bytes.count - offset >= 8, raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                offset += 8
            }
            guard offset < bytes.count else { return true }
            if base[offset] < 0x80 {
                offset += 1
            } else {
                guard let length = sequenceLength(base + offset, available: bytes.count - offset) else { return false }
                offset += length
            }
        }
        return true
    }

    /// The length of the multi-byte sequence starting at `start` (its lead byte is 0x80 or more),
    /// or `nil` when it is not well formed within `available` bytes.
    static func sequenceLength(_ start: UnsafePointer<UInt8>, available: Int) -> Int? {
        guard let (continuationCount, secondRange) = sequenceShape(lead: start[0]) else { return nil }
        guard available > continuationCount, secondRange.contains(start[1]) else { return nil }
        for index in stride(from: 2, through: continuationCount, by: 1) where !(0x80...0xBF).contains(start[index]) {
            return nil
        }
        return continuationCount + 1
    }

    /// Unicode Table 3-7 by lead byte: how many continuation bytes follow it, and the range the
    /// first of them must be in (the others are always 0x80...0xBF); nil for a byte that cannot
    /// start a multi-byte sequence.
    static func sequenceShape(lead: UInt8) -> (continuationCount: Int, secondRange: ClosedRange<UInt8>)? {
        switch lead {
        case 0xC2...0xDF: (1, 0x80...0xBF)
        case 0xE0: (2, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (2, 0x80...0xBF)
        case 0xED: (2, 0x80...0x9F)
        case 0xF0: (3, 0x90...0xBF)
        case 0xF1...0xF3: (3, 0x80...0xBF)
        case 0xF4: (3, 0x80...0x8F)
        default: nil
        }
    }
}
