extension CanonicalJSON {
    /// The RFC 8785 (JCS) canonical form, as UTF-8 bytes with no trailing newline.
    ///
    /// Objects list their members sorted by name as UTF-16 code units; there is no whitespace;
    /// strings are written as ECMAScript's `JSON.stringify` writes them; integers in plain decimal.
    /// The limits `depthMax` and `bytesMax` are not enforced here: a value built in code may exceed
    /// them, and then `parse(_:)` would refuse the result. Check `count` against `bytesMax` before
    /// storing bytes that must be read back.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        Writer.append(self, to: &output)
        return output
    }
}

extension CanonicalJSON {
    /// Writes RFC 8785 canonical JSON.
    enum Writer {
        static func append(_ value: CanonicalJSON, to output: inout [UInt8]) {
            switch value {
            case .null:
                output.append(contentsOf: "null".utf8)
            case .bool(let flag):
                output.append(contentsOf: (flag ? "true" : "false").utf8)
            case .integer(let integer):
                appendInteger(integer.value, to: &output)
            case .string(let text):
                appendString(text, to: &output)
            case .array(let elements):
                output.append(Byte.leftBracket)
                for (index, element) in elements.enumerated() {
                    if index > 0 { output.append(Byte.comma) }
                    append(element, to: &output)
                }
                output.append(Byte.rightBracket)
            case .object(let object):
                output.append(Byte.leftBrace)
                for (index, member) in object.members.enumerated() {
                    if index > 0 { output.append(Byte.comma) }
                    appendString(member.name, to: &output)
                    output.append(Byte.colon)
                    append(member.value, to: &output)
                }
                output.append(Byte.rightBrace)
            }
        }

        /// Plain decimal: an optional '-', then digits with no leading zero.
        static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
            if value < 0 { output.append(Byte.minus) }
            var magnitude = value.magnitude
            var digits: [UInt8] = []
            repeat {
                digits.append(Byte.zero + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: digits.reversed())
        }

        /// ECMAScript `JSON.stringify` (QuoteJSONString): `"` and `\` escaped, the short escapes
        /// `\b \f \n \r \t`, other code points below U+0020 as `\u00xx` in lower-case hex, everything
        /// else (including `/`, U+007F, U+2028, U+2029 and all non-ASCII) as literal UTF-8.
        static func appendString(_ text: String, to output: inout [UInt8]) {
            output.append(Byte.quote)
            for byte in text.utf8 {
                switch byte {
                case Byte.quote, Byte.backslash:
                    output.append(contentsOf: [Byte.backslash, byte])
                case 0x08: output.append(contentsOf: [Byte.backslash, UInt8(ascii: "b")])
                case 0x09: output.append(contentsOf: [Byte.backslash, UInt8(ascii: "t")])
                case 0x0A: output.append(contentsOf: [Byte.backslash, UInt8(ascii: "n")])
                case 0x0C: output.append(contentsOf: [Byte.backslash, UInt8(ascii: "f")])
                case 0x0D: output.append(contentsOf: [Byte.backslash, UInt8(ascii: "r")])
                case 0x00..<0x20:
                    output.append(contentsOf: "\\u00".utf8)
                    output.append(hexDigitLower(byte >> 4))
                    output.append(hexDigitLower(byte & 0x0F))
                default:
                    // Multi-byte UTF-8 sequences consist of bytes >= 0x80 only, so copying byte by
                    // byte copies every non-ASCII scalar literally.
                    output.append(byte)
                }
            }
            output.append(Byte.quote)
        }

        private static func hexDigitLower(_ nibble: UInt8) -> UInt8 {
            precondition(nibble < 16, "a nibble is below 16")
            return nibble < 10 ? Byte.zero + nibble : UInt8(ascii: "a") + nibble - 10
        }
    }

    /// The ASCII bytes of the JSON grammar.
    enum Byte {
        static let quote = UInt8(ascii: "\"")
        static let backslash = UInt8(ascii: "\\")
        static let slash = UInt8(ascii: "/")
        static let leftBracket = UInt8(ascii: "[")
        static let rightBracket = UInt8(ascii: "]")
        static let leftBrace = UInt8(ascii: "{")
        static let rightBrace = UInt8(ascii: "}")
        static let comma = UInt8(ascii: ",")
        static let colon = UInt8(ascii: ":")
        static let minus = UInt8(ascii: "-")
        static let plus = UInt8(ascii: "+")
        static let dot = UInt8(ascii: ".")
        static let zero = UInt8(ascii: "0")
        static let nine = UInt8(ascii: "9")
        static let space = UInt8(ascii: " ")
        static let tab = UInt8(ascii: "\t")
        static let lineFeed = UInt8(ascii: "\n")
        static let carriageReturn = UInt8(ascii: "\r")
    }
}
