extension CanonicalJSON {
    /// Whether `bytes` are a JSON object in canonical form: exactly the bytes that `parse(_:)`
    /// followed by `canonicalBytes` would give back for an object, and refused wherever
    /// `parse(_:)` refuses. Checked in one pass over the bytes, without building values:
    ///
    /// - no whitespace anywhere, and nothing after the object;
    /// - member names in strictly increasing order of UTF-16 code units (so also unique);
    /// - strings as `JSON.stringify` writes them: only `\" \\ \b \f \n \r \t` and `\u00xx`
    ///   (lower-case hex, for the other code points below U+0020) as escapes, everything else
    ///   as literal, well-formed UTF-8;
    /// - integers in plain decimal, no leading zero, no `-0`, within ±(2^53 − 1);
    /// - `true`, `false`, `null`; at most `depthMax` levels of nesting; at most `bytesMax` bytes.
    public static func isCanonicalObject(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= bytesMax, let base = bytes.baseAddress, bytes.count >= 2 else { return false }
        var validator = CanonicalFormValidator(base: base.assumingMemoryBound(to: UInt8.self), end: bytes.count)
        guard validator.next == Byte.leftBrace, validator.object(depth: 1) else { return false }
        return validator.offset == bytes.count
    }

    /// `isCanonicalObject(_:)` over an array.
    public static func isCanonicalObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isCanonicalObject($0) }
    }
}

/// The one-pass reader behind `CanonicalJSON.isCanonicalObject(_:)`. Every method returns
/// `false` as soon as the bytes leave the canonical form; it never throws or allocates.
struct CanonicalFormValidator {
    private typealias Byte = CanonicalJSON.Byte

    let base: UnsafePointer<UInt8>
    let end: Int
    var offset = 0

    /// The byte at `offset`, or 0 (never valid where a byte is expected) at the end.
    var next: UInt8 { offset < end ? base[offset] : 0 }

    /// A value at nesting `depth` (the depth its own brackets would have).
    mutating func value(depth: Int) -> Bool {
        switch next {
        case Byte.quote: return string()
        case Byte.leftBrace: return object(depth: depth)
        case Byte.leftBracket: return array(depth: depth)
        case Byte.minus, Byte.zero...Byte.nine: return integer()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return false
        }
    }

    /// `{}` or `{"name":value,…}` with names strictly increasing.
    mutating func object(depth: Int) -> Bool {
        guard depth <= CanonicalJSON.depthMax else { return false }
        offset += 1  // {
        if next == Byte.rightBrace {
            offset += 1
            return true
        }
        var previousName: Range<Int>? = nil
        while true {
            let nameStart = offset + 1
            guard next == Byte.quote, string() else { return false }
            let name = nameStart..<(offset - 1)
            if let previousName, !precedes(previousName, name) { return false }
            previousName = name
            guard next == Byte.colon else { return false }
            offset += 1
            guard value(depth: depth + 1) else { return false }
            switch next {
            case Byte.comma: offset += 1
            case Byte.rightBrace:
                offset += 1
                return true
            default: return false
            }
        }
    }

    /// `[]` or `[value,…]`.
    mutating func array(depth: Int) -> Bool {
        guard depth <= CanonicalJSON.depthMax else { return false }
        offset += 1  // [
        if next == Byte.rightBracket {
            offset += 1
            return true
        }
        while true {
            guard value(depth: depth + 1) else { return false }
            switch next {
            case Byte.comma: offset += 1
            case Byte.rightBracket:
                offset += 1
                return true
            default: return false
            }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - offset >= count else { return false }
        for index in 0..<count where base[offset + index] != word.utf8Start[index] {
            return false
        }
        offset += count
        return true
    }

    /// `0`, or an optional `-` and digits without a leading zero, at most 2^53 − 1 in magnitude.
    /// (What follows, such as a fraction or a second digit after `0`, is for the caller to refuse.)
    private mutating func integer() -> Bool {
        let isNegative = next == Byte.minus
        if isNegative { offset += 1 }
        if next == Byte.zero {
            offset += 1
            return !isNegative  // `-0` reads as 0, which is written `0`
        }
        guard (UInt8(ascii: "1")...Byte.nine).contains(next) else { return false }
        let digitCountMax = 16  // 2^53 − 1 = 9007199254740991 has 16 digits
        var magnitude: Int64 = 0
        var digitCount = 0
        while (Byte.zero...Byte.nine).contains(next) {
            digitCount += 1
            guard digitCount <= digitCountMax else { return false }
            magnitude = magnitude * 10 + Int64(next - Byte.zero)
            offset += 1
        }
        return magnitude <= CanonicalJSON.SafeInteger.magnitudeMax
    }
}

// MARK: - Strings

extension CanonicalFormValidator {
    /// A string from its opening quote through its closing quote, written as the canonical
    /// encoder writes it.
    mutating func string() -> Bool {
        offset += 1  // "
        while true {
            while end - offset >= 8, Self.isPlainASCII(UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)) {
                offset += 8
            }
            guard offset < end else { return false }
            switch base[offset] {
            case Byte.quote:
                offset += 1
                return true
            case Byte.backslash:
                guard escape() else { return false }
            case 0x20..<0x80:
                offset += 1
            case 0x00..<0x20:
                return false
            default:
                guard let length = UTF8Validation.sequenceLength(base + offset, available: end - offset) else { return false }
                offset += length
            }
        }
    }

    /// Whether all eight bytes of `word` are ASCII from U+0020 on, other than `"` and `\`:
    /// bytes a canonical string holds as they are.
    @inline(__always)
    static func isPlainASCII(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highs != 0
        return word & highs == 0 && !hasControl
            && !hasZeroByte(word ^ (ones &* UInt64(Byte.quote))) && !hasZeroByte(word ^ (ones &* UInt64(Byte.backslash)))
    }

    /// One escape, as `JSON.stringify` writes it: `\" \\ \b \f \n \r \t`, or `\u00xx` in
    /// lower-case hex for a control character that has no short escape.
    private mutating func escape() -> Bool {
        guard end - offset >= 2 else { return false }
        switch base[offset + 1] {
        case Byte.quote, Byte.backslash, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            offset += 2
            return true
        case UInt8(ascii: "u"):
            guard end - offset >= 6, base[offset + 2] == Byte.zero, base[offset + 3] == Byte.zero,
                  let low = Self.lowerHexValue(base[offset + 5])
            else { return false }
            let code: UInt8
            switch base[offset + 4] {
            case Byte.zero: code = low
            case UInt8(ascii: "1"): code = 0x10 | low
            default: return false
            }
            let hasShortEscape = code == 0x08 || code == 0x09 || code == 0x0A || code == 0x0C || code == 0x0D
            guard !hasShortEscape else { return false }
            offset += 6
            return true
        default:
            return false
        }
    }

    private static func lowerHexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case Byte.zero...Byte.nine: byte - Byte.zero
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

// MARK: - Member order

extension CanonicalFormValidator {
    /// Whether the member name held (as canonical string contents) in `left` sorts strictly
    /// before the one in `right`, comparing the names' UTF-16 code units as RFC 8785 does.
    func precedes(_ left: Range<Int>, _ right: Range<Int>) -> Bool {
        let common = min(left.count, right.count)
        var index = 0
        while index < common, base[left.lowerBound + index] == base[right.lowerBound + index] {
            guard base[left.lowerBound + index] != Byte.backslash else { return precedesDecoded(left, right) }
            index += 1
        }
        if index == common { return left.count < right.count }
        let x = base[left.lowerBound + index]
        let y = base[right.lowerBound + index]
        guard x != Byte.backslash, y != Byte.backslash else { return precedesDecoded(left, right) }
        // The names agree up to a character boundary or inside one character; UTF-8 byte order is
        // code point order, which is UTF-16 order except that U+E000–U+FFFF (lead bytes EE, EF)
        // sort after the surrogate pairs of U+10000 and up (lead bytes F0–F4).
        let xIsHighBMP = x == 0xEE || x == 0xEF
        let yIsHighBMP = y == 0xEE || y == 0xEF
        if xIsHighBMP && y >= 0xF0 { return false }
        if yIsHighBMP && x >= 0xF0 { return true }
        return x < y
    }

    /// The general case, for names with escapes: decode both and compare code units.
    private func precedesDecoded(_ left: Range<Int>, _ right: Range<Int>) -> Bool {
        decodedUTF16(left).lexicographicallyPrecedes(decodedUTF16(right))
    }

    /// The UTF-16 code units of a validated canonical string's contents.
    private func decodedUTF16(_ range: Range<Int>) -> [UInt16] {
        var utf8: [UInt8] = []
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = base[index]
            guard byte == Byte.backslash else {
                utf8.append(byte)
                index += 1
                continue
            }
            switch base[index + 1] {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                let high = base[index + 4] - Byte.zero
                let low = Self.lowerHexValue(base[index + 5]) ?? 0
                utf8.append(high << 4 | low)
                index += 4
            default: utf8.append(base[index + 1])  // " or \
            }
            index += 2
        }
        return Array(String(decoding: utf8, as: UTF8.self).utf16)
    }
}
