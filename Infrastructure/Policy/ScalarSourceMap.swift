import Domain

/// Maps a place inside a scalar's value (a CEL error's line and column inside a `when`) to
/// the file's line and column, for every scalar style.
///
/// The value is matched against the file from where the scalar's content starts (a plain
/// scalar's first character, the character after a quote, the line after a block scalar's `|`
/// or `>`): each non-blank character of the value must be the file's next non-blank character
/// (or, in a double-quoted scalar, the escape that stands for it; in a single-quoted one, the
/// `''` that stands for `'`). Blanks and line breaks between them are what YAML folds, trims
/// and indents. So the map is exact for plain, quoted, literal and folded scalars, one line or
/// many, escapes included. Should the file ever not match the value (a YAML form this matcher
/// does not know), `position` gives `nil` and the caller falls back to the scalar's start.
enum ScalarSourceMap {
    static func position(of place: CELSourcePosition, in scalar: YAMLScalar, source: SourceText) -> TextPosition? {
        let value = Array(scalar.text.unicodeScalars)
        let offset = offset(of: place, in: value)
        var matcher = Matcher(source: source, style: scalar.style, cursor: contentStart(scalar))
        var last: TextPosition?
        for index in 0..<min(offset + 1, value.count) {
            guard let position = matcher.match(value[index]) else { return nil }
            last = position
            if index == offset { return position }
        }
        // Past the end (an expression that ends too early): just after its last character.
        guard let last else { return contentStart(scalar) }
        return value.last == "\n" ? last : TextPosition(line: last.line, column: last.column + 1)
    }

    /// The 0-based scalar offset of a 1-based line and column in `value` (lines end at LF, as
    /// the CEL lexer counts them); a column past its line's end is the line's end.
    static func offset(of place: CELSourcePosition, in value: [Unicode.Scalar]) -> Int {
        var line = 1
        var index = 0
        while line < place.line, index < value.count {
            if value[index] == "\n" { line += 1 }
            index += 1
        }
        var column = 1
        while column < place.column, index < value.count, value[index] != "\n" {
            column += 1
            index += 1
        }
        return index
    }

    private static func contentStart(_ scalar: YAMLScalar) -> TextPosition {
        switch scalar.style {
        case .plain: scalar.position
        case .singleQuoted, .doubleQuoted: TextPosition(line: scalar.position.line, column: scalar.position.column + 1)
        case .literal, .folded: TextPosition(line: scalar.position.line + 1, column: 1)
        }
    }

    private struct Matcher {
        let source: SourceText
        let style: YAMLScalarStyle
        var cursor: TextPosition
        var line: [Unicode.Scalar]
        /// A line break was skipped since the last match: a blank in the value may be its fold.
        var brokeLine = false

        init(source: SourceText, style: YAMLScalarStyle, cursor: TextPosition) {
            self.source = source
            self.style = style
            self.cursor = cursor
            self.line = source.lineScalars(cursor.line) ?? []
        }

        /// The character at the cursor; LF at a line's end; `nil` past the file's end.
        func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
            let index = cursor.column - 1 + ahead
            if index < line.count { return line[index] }
            if index == line.count { return cursor.line < source.lineCount ? "\n" : nil }
            return nil
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count {
                if cursor.column - 1 < line.count {
                    cursor = TextPosition(line: cursor.line, column: cursor.column + 1)
                } else {
                    cursor = TextPosition(line: cursor.line + 1, column: 1)
                    line = source.lineScalars(cursor.line) ?? []
                }
            }
        }

        /// Where `character` of the value is written, moving the cursor past it.
        mutating func match(_ character: Unicode.Scalar) -> TextPosition? {
            while let next = peek() {
                let here = cursor
                if style == .doubleQuoted && next == "\\" {
                    guard let (decoded, length) = escape() else { return nil }
                    guard let decoded else {  // an escaped line break: nothing in the value
                        advance(length)
                        continue
                    }
                    guard decoded == character else { return nil }
                    advance(length)
                    brokeLine = false
                    return here
                }
                if style == .singleQuoted && next == "'" {
                    guard character == "'", peek(1) == "'" else { return nil }
                    advance(2)
                    brokeLine = false
                    return here
                }
                if next == character {
                    advance()
                    brokeLine = false
                    return here
                }
                if next == " " || next == "\t" || next == "\n" {
                    if next == "\n" { brokeLine = true }
                    advance()
                    continue
                }
                if (character == " " || character == "\n") && brokeLine {
                    brokeLine = false
                    return here  // a folded line break: shown where the next line's text starts
                }
                return nil
            }
            return nil
        }

        /// The character a double-quoted escape at the cursor stands for (`nil` for an escaped
        /// line break) and its length in the file; `nil` when it is not an escape.
        func escape() -> (Unicode.Scalar?, Int)? {
            guard let letter = peek(1) else { return nil }
            let simple: [Unicode.Scalar: UInt32] = [
                "0": 0, "a": 7, "b": 8, "t": 9, "\t": 9, "n": 10, "v": 11, "f": 12, "r": 13, "e": 0x1B, " ": 0x20,
                "\"": 0x22, "/": 0x2F, "\\": 0x5C, "N": 0x85, "_": 0xA0, "L": 0x2028, "P": 0x2029,
            ]
            if letter == "\n" { return (nil, 2) }
            if let value = simple[letter] { return (Unicode.Scalar(value), 2) }
            let digits = letter == "x" ? 2 : letter == "u" ? 4 : letter == "U" ? 8 : 0
            guard digits > 0 else { return nil }
            var hex = ""
            for ahead in 2..<(2 + digits) {
                guard let digit = peek(ahead) else { return nil }
                hex.unicodeScalars.append(digit)
            }
            guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { return nil }
            return (scalar, 2 + digits)
        }
    }
}
