import Domain

/// A 1-based line and column (columns count Unicode scalars) inside one file.
struct TextPosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    let line: Int
    let column: Int

    static func < (lhs: TextPosition, rhs: TextPosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    var description: String { "\(line):\(column)" }
}

/// One file's bytes, checked to be UTF-8 (a leading byte order mark is dropped), with the
/// offsets of its lines, so that any place can be shown as `file:line:col` with its line.
/// Lines end at LF only; a CR before the LF is not part of the shown line.
struct SourceText: Sendable {
    /// The file's name as it is printed: the folder as given, joined with the name.
    let file: String
    /// The content, without a byte order mark.
    let bytes: [UInt8]
    /// The byte offset at which each line starts.
    let lineStarts: [Int]

    init(file: String, bytes: [UInt8]) throws(PolicyFileError) {
        self.file = file
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        self.bytes = bytes.starts(with: bom) ? Array(bytes.dropFirst(bom.count)) : bytes
        var starts = [0]
        for (offset, byte) in self.bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
        if let bad = Self.firstInvalidUTF8(self.bytes) {
            throw error("the file is not UTF-8 (a malformed byte sequence)", at: position(ofByte: bad))
        }
    }

    /// The content as a string (the bytes are well-formed UTF-8).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    var lineCount: Int { lineStarts.count }

    /// The bytes of line `line` (1-based), without its LF and a CR before it.
    func lineBytes(_ line: Int) -> ArraySlice<UInt8>? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return bytes[start..<end]
    }

    func lineText(_ line: Int) -> String? {
        lineBytes(line).map { String(decoding: $0, as: UTF8.self) }
    }

    func lineScalars(_ line: Int) -> [Unicode.Scalar]? {
        lineText(line).map { Array($0.unicodeScalars) }
    }

    /// The position of byte `offset`: its line, and 1 + the characters before it on that line.
    func position(ofByte offset: Int) -> TextPosition {
        precondition(offset >= 0 && offset <= bytes.count, "offset inside the file")
        var low = 0
        var high = lineStarts.count - 1
        while low < high {  // the last line start <= offset
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        let column = 1 + bytes[lineStarts[low]..<offset].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return TextPosition(line: low + 1, column: column)
    }

    /// The Unicode scalar at `position`, if the position is on a character.
    func scalar(at position: TextPosition) -> Unicode.Scalar? {
        guard let scalars = lineScalars(position.line), position.column >= 1, position.column <= scalars.count else { return nil }
        return scalars[position.column - 1]
    }

    func error(_ reason: String, at position: TextPosition) -> PolicyFileError {
        let location = PolicySourceLocation(file: file, line: max(1, position.line), column: max(1, position.column))
        return PolicyFileError(reason, at: location, sourceLine: lineText(position.line))
    }

    func error(_ reason: String, line: Int, column: Int) -> PolicyFileError {
        error(reason, at: TextPosition(line: line, column: column))
    }

    /// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        if String(validating: bytes, as: UTF8.self) != nil { return nil }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
