extension CanonicalJSON {
    /// Reads one JSON text (RFC 8259 grammar) strictly into the restricted model.
    ///
    /// Refused, each with a line, column and reason: input larger than `bytesMax`; nesting
    /// deeper than `depthMax`; numbers with a fraction or exponent, or outside ±(2^53 − 1);
    /// duplicate member names (compared by Unicode scalars, after unescaping); malformed UTF-8;
    /// `\u` escapes of unpaired surrogates; raw control characters in strings; anything but
    /// whitespace (space, tab, LF, CR) after the value. A byte order mark is refused too.
    public static func parse(_ bytes: [UInt8]) throws(CanonicalJSONError) -> CanonicalJSON {
        try parse(bytes, bytesMax: bytesMax)
    }

    /// `parse(_:)` with another size limit, for documents that are not audit payloads (stored
    /// policy bundles and decision records, test inputs).
    public static func parse(_ bytes: [UInt8], bytesMax: Int) throws(CanonicalJSONError) -> CanonicalJSON {
        guard bytes.count <= bytesMax else {
            throw CanonicalJSONError(
                kind: .tooLarge, reason: "input is \(bytes.count) bytes, more than bytesMax \(bytesMax)",
                in: bytes, at: bytesMax
            )
        }
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.readValue()
        reader.skipWhitespace()
        guard reader.offset == bytes.count else {
            throw reader.failure(.trailingData, "unexpected \(reader.describeNext()) after the JSON value")
        }
        precondition(reader.depth == 0, "every array and object was closed")
        return value
    }

    /// Parses `bytes` and returns their canonical form.
    public static func canonicalize(_ bytes: [UInt8]) throws(CanonicalJSONError) -> [UInt8] {
        try parse(bytes).canonicalBytes
    }

    /// Whether `bytes` are exactly the canonical form of the value they hold: what an auditor's
    /// verifier checks for each stored payload. `false` for anything `parse(_:)` refuses.
    public static func isCanonical(_ bytes: [UInt8]) -> Bool {
        guard let value = try? parse(bytes) else { return false }
        return value.canonicalBytes == bytes
    }
}

extension CanonicalJSON {
    /// A recursive-descent reader over UTF-8 bytes. `offset` is the next unread byte.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var depth = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func peek() -> UInt8? {
            offset < bytes.count ? bytes[offset] : nil
        }

        func failure(_ kind: CanonicalJSONError.Kind, _ reason: String, at position: Int? = nil) -> CanonicalJSONError {
            CanonicalJSONError(kind: kind, reason: reason, in: bytes, at: position ?? offset)
        }

        /// The next byte for an error message: `'x'`, `byte 0xNN` or `end of input`.
        func describeNext() -> String {
            guard let byte = peek() else { return "end of input" }
            if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            let hex = String(byte, radix: 16, uppercase: true)
            return "byte 0x\(byte < 0x10 ? "0" : "")\(hex)"
        }

        mutating func skipWhitespace() {
            while let byte = peek(),
                byte == Byte.space || byte == Byte.tab || byte == Byte.lineFeed || byte == Byte.carriageReturn
            {
                offset += 1
            }
        }

        mutating func readValue() throws(CanonicalJSONError) -> CanonicalJSON {
            guard let byte = peek() else {
                throw failure(.unexpectedEnd, "expected a value, found the end of the input")
            }
            switch byte {
            case Byte.leftBrace: return try readObject()
            case Byte.leftBracket: return try readArray()
            case Byte.quote: return .string(try readString())
            case Byte.minus, Byte.zero...Byte.nine: return .integer(try readNumber())
            case UInt8(ascii: "t"): return try readLiteral("true", .bool(true))
            case UInt8(ascii: "f"): return try readLiteral("false", .bool(false))
            case UInt8(ascii: "n"): return try readLiteral("null", .null)
            default: throw failure(.unexpectedCharacter, "expected a value, found \(describeNext())")
            }
        }

        private mutating func readLiteral(_ word: String, _ value: CanonicalJSON) throws(CanonicalJSONError)
            -> CanonicalJSON
        {
            let start = offset
            for expected in word.utf8 {
                guard peek() == expected else {
                    throw failure(.invalidLiteral, "invalid literal: expected '\(word)'", at: start)
                }
                offset += 1
            }
            return value
        }
    }
}

// MARK: - Arrays and objects

extension CanonicalJSON.Reader {
    private mutating func enterNesting() throws(CanonicalJSONError) {
        guard depth < CanonicalJSON.depthMax else {
            throw failure(.tooDeep, "arrays and objects nest deeper than depthMax \(CanonicalJSON.depthMax)")
        }
        depth += 1
        offset += 1  // the opening bracket or brace
    }

    /// Consumes `,` (returns true) or `close` (returns false), after optional whitespace.
    private mutating func readSeparator(close: UInt8, _ context: String) throws(CanonicalJSONError) -> Bool {
        skipWhitespace()
        switch peek() {
        case CanonicalJSON.Byte.comma?:
            offset += 1
            return true
        case close?:
            offset += 1
            return false
        case nil:
            throw failure(.unexpectedEnd, "unterminated \(context): expected ',' or '\(Character(Unicode.Scalar(close)))'")
        default:
            let closing = Character(Unicode.Scalar(close))
            throw failure(.unexpectedCharacter, "expected ',' or '\(closing)' in \(context), found \(describeNext())")
        }
    }

    mutating func readArray() throws(CanonicalJSONError) -> CanonicalJSON {
        try enterNesting()
        var elements: [CanonicalJSON] = []
        skipWhitespace()
        if peek() == CanonicalJSON.Byte.rightBracket {
            offset += 1
        } else {
            repeat {
                skipWhitespace()
                elements.append(try readValue())
            } while try readSeparator(close: CanonicalJSON.Byte.rightBracket, "array")
        }
        depth -= 1
        return .array(elements)
    }

    mutating func readObject() throws(CanonicalJSONError) -> CanonicalJSON {
        try enterNesting()
        var members: [CanonicalJSON.Object.Member] = []
        var names: Set<ExactName> = []
        skipWhitespace()
        if peek() == CanonicalJSON.Byte.rightBrace {
            offset += 1
        } else {
            repeat {
                skipWhitespace()
                guard peek() == CanonicalJSON.Byte.quote else {
                    throw failure(.unexpectedCharacter, "expected a member name in quotes, found \(describeNext())")
                }
                let nameOffset = offset
                let name = try readString()
                guard names.insert(ExactName(name)).inserted else {
                    throw failure(.duplicateName, "duplicate member name \(Self.quoted(name))", at: nameOffset)
                }
                skipWhitespace()
                guard peek() == CanonicalJSON.Byte.colon else {
                    throw failure(.unexpectedCharacter, "expected ':' after a member name, found \(describeNext())")
                }
                offset += 1
                skipWhitespace()
                members.append(.init(name: name, value: try readValue()))
            } while try readSeparator(close: CanonicalJSON.Byte.rightBrace, "object")
        }
        depth -= 1
        guard let object = CanonicalJSON.Object(uniqueMembers: members) else {
            preconditionFailure("member names were checked for duplicates while reading")
        }
        return .object(object)
    }

    /// A name for an error message: canonical JSON text, cut short when long.
    private static func quoted(_ name: String) -> String {
        var output: [UInt8] = []
        CanonicalJSON.Writer.appendString(name, to: &output)
        let text = String(decoding: output, as: UTF8.self)
        let charactersMax = 40
        return text.count <= charactersMax ? text : String(text.prefix(charactersMax)) + "…"
    }
}

extension CanonicalJSON.Reader {
    /// A member name hashed and compared by Unicode scalars, for duplicate detection.
    struct ExactName: Hashable {
        let name: String

        init(_ name: String) {
            self.name = name
        }

        static func == (lhs: ExactName, rhs: ExactName) -> Bool {
            CanonicalJSON.ExactText.equal(lhs.name, rhs.name)
        }

        func hash(into hasher: inout Hasher) {
            CanonicalJSON.ExactText.hash(name, into: &hasher)
        }
    }
}
