// Strings and numbers for `CanonicalJSON.Reader`.

extension CanonicalJSON.Reader {
    private typealias Byte = CanonicalJSON.Byte

    /// A string, from its opening quote through its closing quote, unescaped.
    mutating func readString() throws(CanonicalJSONError) -> String {
        let start = offset
        precondition(peek() == Byte.quote, "a string starts with a quote")
        offset += 1
        var utf8: [UInt8] = []
        while let byte = peek() {
            switch byte {
            case Byte.quote:
                offset += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    preconditionFailure("string bytes were validated as UTF-8 while reading")
                }
                return text
            case Byte.backslash:
                try readEscape(into: &utf8)
            case 0x00..<0x20:
                let code = String(byte, radix: 16, uppercase: true)
                throw failure(
                    .controlCharacter,
                    "control character U+\(byte < 0x10 ? "000" : "00")\(code) in a string must be escaped"
                )
            case 0x20..<0x80:
                utf8.append(byte)
                offset += 1
            default:
                try readUTF8Sequence(into: &utf8)
            }
        }
        throw failure(.unexpectedEnd, "unterminated string", at: start)
    }

    /// One backslash escape, appended to `utf8` as UTF-8.
    private mutating func readEscape(into utf8: inout [UInt8]) throws(CanonicalJSONError) {
        let start = offset
        offset += 1  // the backslash
        guard let letter = peek() else { throw failure(.unexpectedEnd, "unterminated escape", at: start) }
        offset += 1
        switch letter {
        case Byte.quote, Byte.backslash, Byte.slash: utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try readUnicodeEscape(start: start)
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            offset = start + 1
            throw failure(.invalidEscape, "invalid escape: '\\' followed by \(describeNext())", at: start)
        }
    }

    /// After `\u`: four hex digits, and for a high surrogate a second `\uXXXX` with the low half.
    private mutating func readUnicodeEscape(start: Int) throws(CanonicalJSONError) -> Unicode.Scalar {
        let unit = try readHex4(start: start)
        var value = UInt32(unit)
        switch unit {
        case 0xD800...0xDBFF:
            let lowStart = offset
            guard peek() == Byte.backslash, offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                throw failure(.unpairedSurrogate, "unpaired surrogate \(Self.escape(unit)): no low surrogate follows", at: start)
            }
            offset += 2
            let low = try readHex4(start: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw failure(.unpairedSurrogate, "unpaired surrogate \(Self.escape(unit)): \(Self.escape(low)) follows", at: start)
            }
            value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw failure(.unpairedSurrogate, "unpaired surrogate \(Self.escape(unit)): a low half with no high half", at: start)
        default:
            break
        }
        guard let scalar = Unicode.Scalar(value) else { preconditionFailure("surrogates were excluded") }
        return scalar
    }

    private static func escape(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16, uppercase: false)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    private mutating func readHex4(start: Int) throws(CanonicalJSONError) -> UInt16 {
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = Self.hexValue(byte) else {
                throw failure(.invalidEscape, "invalid escape: '\\u' needs four hex digits", at: start)
            }
            unit = unit << 4 | UInt16(digit)
            offset += 1
        }
        return unit
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case Byte.zero...Byte.nine: byte - Byte.zero
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// One multi-byte UTF-8 sequence, checked against Unicode's table of well-formed sequences
    /// (no overlong forms, no encoded surrogates, nothing above U+10FFFF), appended to `utf8`.
    private mutating func readUTF8Sequence(into utf8: inout [UInt8]) throws(CanonicalJSONError) {
        guard let (continuationCount, secondRange) = UTF8Validation.sequenceShape(lead: bytes[offset]) else {
            throw failure(.invalidUTF8, "invalid UTF-8: \(describeNext()) cannot start a character")
        }
        for index in 1...continuationCount {
            let range: ClosedRange<UInt8> = index == 1 ? secondRange : 0x80...0xBF
            guard offset + index < bytes.count, range.contains(bytes[offset + index]) else {
                throw failure(.invalidUTF8, "invalid UTF-8: malformed sequence starting with \(describeNext())")
            }
        }
        utf8.append(contentsOf: bytes[offset...(offset + continuationCount)])
        offset += continuationCount + 1
    }
}

// MARK: - Numbers

extension CanonicalJSON.Reader {
    /// A number in the RFC 8259 grammar, accepted only when it is an integer literal within
    /// ±(2^53 − 1).
    mutating func readNumber() throws(CanonicalJSONError) -> CanonicalJSON.SafeInteger {
        let start = offset
        let isNegative = peek() == Byte.minus
        if isNegative { offset += 1 }
        guard let first = peek(), Self.isDigit(first) else {
            throw failure(.invalidNumber, "invalid number: expected a digit, found \(describeNext())")
        }
        var magnitude: UInt64 = 0
        if first == Byte.zero {
            offset += 1
            if let next = peek(), Self.isDigit(next) {
                throw failure(.invalidNumber, "invalid number: leading zeros are not allowed", at: start)
            }
        } else {
            while let byte = peek(), Self.isDigit(byte) {
                // Stop accumulating once past the limit: the value stays too large, and never overflows.
                if magnitude <= UInt64(CanonicalJSON.SafeInteger.magnitudeMax) {
                    magnitude = magnitude * 10 + UInt64(byte - Byte.zero)
                }
                offset += 1
            }
        }
        let hasFraction = try skipFraction()
        let hasExponent = try skipExponent()
        let text = numberText(from: start)
        guard !hasFraction && !hasExponent else {
            let part = hasFraction ? "a fraction" : "an exponent"
            throw failure(
                .numberNotInteger, "number \(text) has \(part): only integer numbers within ±(2^53−1) are allowed",
                at: start
            )
        }
        guard magnitude <= UInt64(CanonicalJSON.SafeInteger.magnitudeMax),
            let integer = CanonicalJSON.SafeInteger(exactly: isNegative ? -Int64(magnitude) : Int64(magnitude))
        else {
            throw failure(.numberOutOfRange, "number \(text) is outside ±(2^53−1) = ±9007199254740991", at: start)
        }
        return integer
    }

    /// `.digits` if present; true when there was one.
    private mutating func skipFraction() throws(CanonicalJSONError) -> Bool {
        guard peek() == Byte.dot else { return false }
        offset += 1
        try skipDigits(after: "the decimal point")
        return true
    }

    /// `e`/`E`, an optional sign and digits, if present; true when there was one.
    private mutating func skipExponent() throws(CanonicalJSONError) -> Bool {
        guard peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") else { return false }
        offset += 1
        if peek() == Byte.plus || peek() == Byte.minus { offset += 1 }
        try skipDigits(after: "the exponent marker")
        return true
    }

    private mutating func skipDigits(after context: String) throws(CanonicalJSONError) {
        guard let first = peek(), Self.isDigit(first) else {
            throw failure(.invalidNumber, "invalid number: expected a digit after \(context), found \(describeNext())")
        }
        while let byte = peek(), Self.isDigit(byte) { offset += 1 }
    }

    /// The number's text for a message, cut short when long.
    private func numberText(from start: Int) -> String {
        let charactersMax = 32
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        return text.count <= charactersMax ? text : String(text.prefix(charactersMax)) + "…"
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (Byte.zero...Byte.nine).contains(byte)
    }
}
