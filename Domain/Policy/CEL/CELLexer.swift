/// One lexical token of a CEL expression.
struct CELToken: Sendable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        /// A backquoted field name: `` `content-type` ``.
        case quotedIdentifier(String)
        /// An integer literal without sign; its range is checked by the parser (it may be negated).
        case int(UInt64)
        case uint(UInt64)
        case double(Double)
        case string(String)
        case bytes([UInt8])
        case punctuation(String)
        case end
    }
    let kind: Kind
    let position: CELSourcePosition
}

/// Turns source text into tokens. Works on Unicode scalars; columns count scalars.
struct CELLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ source: String) { scalars = Array(source.unicodeScalars) }

    static func tokenize(_ source: String) throws(CELParseError) -> [CELToken] {
        var lexer = CELLexer(source)
        var tokens: [CELToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var position: CELSourcePosition { CELSourcePosition(line: line, column: column) }
    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() -> Unicode.Scalar {
        let scalar = scalars[index]
        index += 1
        if scalar == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        return scalar
    }

    private mutating func skipTrivia() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                _ = advance()
            } else if c == "/", peek(1) == "/" {
                while let d = peek(), d != "\n" { _ = advance() }
            } else {
                return
            }
        }
    }

    mutating func next() throws(CELParseError) -> CELToken {
        skipTrivia()
        let start = position
        guard let c = peek() else { return CELToken(kind: .end, position: start) }
        if isDigit(c) || (c == "." && peek(1).map(isDigit) == true) {
            return CELToken(kind: try number(start), position: start)
        }
        if isIdentifierStart(c) {
            if let kind = try prefixedString(start) { return CELToken(kind: kind, position: start) }
            var name = ""
            while let d = peek(), isIdentifierStart(d) || isDigit(d) { name.unicodeScalars.append(advance()) }
            return CELToken(kind: .identifier(name), position: start)
        }
        if c == "\"" || c == "'" {
            let kind = try quoted(raw: false, bytes: false, start: start)
            return CELToken(kind: kind, position: start)
        }
        if c == "`" {
            _ = advance()
            var name = ""
            while let d = peek(), d != "`", d != "\n" { name.unicodeScalars.append(advance()) }
            guard peek() == "`", !name.isEmpty else { throw CELParseError("unterminated quoted identifier", at: start) }
            _ = advance()
            return CELToken(kind: .quotedIdentifier(name), position: start)
        }
        for op in ["==", "!=", "<=", ">=", "&&", "||"] where matches(op) {
            _ = advance()
            _ = advance()
            return CELToken(kind: .punctuation(op), position: start)
        }
        if "+-*/%<>!?:.,()[]{}".unicodeScalars.contains(c) {
            _ = advance()
            return CELToken(kind: .punctuation(String(Character(c))), position: start)
        }
        throw CELParseError("unexpected character '\(c.escaped(asASCII: true))'", at: start)
    }

    private func matches(_ op: String) -> Bool {
        for (offset, scalar) in op.unicodeScalars.enumerated() where peek(offset) != scalar { return false }
        return true
    }

    /// `r"…"`, `b"…"`, `rb"…"`, `br"…"` (either case); nil when the identifier is not such a prefix.
    private mutating func prefixedString(_ start: CELSourcePosition) throws(CELParseError) -> CELToken.Kind? {
        var length = 0
        var raw = false
        var bytes = false
        while length < 2, let c = peek(length) {
            if (c == "r" || c == "R") && !raw {
                raw = true
            } else if (c == "b" || c == "B") && !bytes {
                bytes = true
            } else {
                break
            }
            length += 1
        }
        guard length > 0, let quote = peek(length), quote == "\"" || quote == "'" else { return nil }
        for _ in 0..<length { _ = advance() }
        return try quoted(raw: raw, bytes: bytes, start: start)
    }
}

extension CELLexer {
    private mutating func quoted(raw: Bool, bytes: Bool, start: CELSourcePosition) throws(CELParseError) -> CELToken.Kind {
        let quote = advance()
        let triple = peek() == quote && peek(1) == quote
        if triple {
            _ = advance()
            _ = advance()
        }
        var out: [UInt8] = []
        var text = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw CELParseError("unterminated string literal", at: start) }
            if c == quote {
                if !triple {
                    _ = advance()
                    break
                }
                if peek(1) == quote && peek(2) == quote {
                    for _ in 0..<3 { _ = advance() }
                    break
                }
            }
            if c == "\n" && !triple { throw CELParseError("newline in string literal", at: position) }
            if c == "\\" && !raw {
                try escape(bytes: bytes, into: &out, text: &text)
                continue
            }
            let scalar = advance()
            if bytes { out.append(contentsOf: Array(String(Character(scalar)).utf8)) } else { text.append(scalar) }
        }
        return bytes ? .bytes(out) : .string(String(text))
    }

    private mutating func escape(
        bytes: Bool, into out: inout [UInt8], text: inout String.UnicodeScalarView
    ) throws(CELParseError) {
        let at = position
        _ = advance()
        guard let c = peek() else { throw CELParseError("unterminated escape sequence", at: at) }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}",
            "\"": "\"", "'": "'", "\\": "\\", "`": "`", "?": "?",
        ]
        var code: UInt32
        var isByte = false
        if let s = simple[c] {
            _ = advance()
            code = s.value
        } else if c == "x" || c == "X" || c == "u" || c == "U" {
            _ = advance()
            let digits = (c == "x" || c == "X") ? 2 : (c == "u" ? 4 : 8)
            code = try digitsValue(count: digits, radix: 16, at: at)
            isByte = digits == 2
        } else if c.value >= 0x30 && c.value <= 0x33 {
            code = try digitsValue(count: 3, radix: 8, at: at)
            isByte = true
        } else {
            throw CELParseError("invalid escape sequence '\\\(c.escaped(asASCII: true))'", at: at)
        }
        if bytes && isByte {
            out.append(UInt8(code))
            return
        }
        guard let scalar = Unicode.Scalar(code) else {
            throw CELParseError("escape sequence is not a Unicode scalar value", at: at)
        }
        if bytes { out.append(contentsOf: Array(String(Character(scalar)).utf8)) } else { text.append(scalar) }
    }

    private mutating func digitsValue(count: Int, radix: UInt32, at: CELSourcePosition) throws(CELParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let c = peek(), let digit = digitValue(c), digit < radix else {
                throw CELParseError("invalid escape sequence: expected \(count) digits", at: at)
            }
            _ = advance()
            value = value * radix + digit
        }
        return value
    }

    private mutating func number(_ start: CELSourcePosition) throws(CELParseError) -> CELToken.Kind {
        if peek() == "0", let x = peek(1), x == "x" || x == "X" {
            _ = advance()
            _ = advance()
            var digits = ""
            while let c = peek(), let d = digitValue(c), d < 16 { digits.unicodeScalars.append(advance()) }
            guard let value = UInt64(digits, radix: 16) else { throw CELParseError("invalid hex literal", at: start) }
            return try integerSuffix(value)
        }
        var text = ""
        var isDouble = false
        while let c = peek(), isDigit(c) { text.unicodeScalars.append(advance()) }
        if peek() == ".", let d = peek(1), isDigit(d) {
            isDouble = true
            text.unicodeScalars.append(advance())
            while let c = peek(), isDigit(c) { text.unicodeScalars.append(advance()) }
        }
        if let e = peek(), e == "e" || e == "E" {
            var offset = 1
            if let sign = peek(1), sign == "+" || sign == "-" { offset = 2 }
            if let d = peek(offset), isDigit(d) {
                isDouble = true
                for _ in 0..<offset { text.unicodeScalars.append(advance()) }
                while let c = peek(), isDigit(c) { text.unicodeScalars.append(advance()) }
            }
        }
        if isDouble {
            guard let value = Double(text) else { throw CELParseError("invalid floating-point literal", at: start) }
            return .double(value)
        }
        guard let value = UInt64(text) else { throw CELParseError("integer literal out of range", at: start) }
        return try integerSuffix(value)
    }

    private mutating func integerSuffix(_ value: UInt64) throws(CELParseError) -> CELToken.Kind {
        if let u = peek(), u == "u" || u == "U" {
            _ = advance()
            return .uint(value)
        }
        return .int(value)
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A) || c == "_"
    }
    private func digitValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c.value {
        case 0x30...0x39: c.value - 0x30
        case 0x41...0x46: c.value - 0x41 + 10
        case 0x61...0x66: c.value - 0x61 + 10
        default: nil
        }
    }
}
