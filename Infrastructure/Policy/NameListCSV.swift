import Domain

/// A name list file (docs/policies.md §5): CSV after RFC 4180 (fields separated by `,`,
/// records by CR LF or LF, `"` quoting with `""` for a quote, line breaks allowed inside
/// quotes), a header naming at least the columns `id` and `name` (other columns are ignored),
/// an optional byte order mark. An alias is a row of its own with the same id. Empty lines are
/// skipped; every other row has as many fields as the header. Errors are at the bad field.
enum NameListCSV {
    static func read(_ source: SourceText, name: String, sourcePath: String) throws(PolicyFileError) -> PolicyNameList {
        var scanner = Scanner(source: source)
        var header: [Field]?
        var idColumn = 0
        var nameColumn = 0
        var entries: [NameListEntry] = []
        while let record = try scanner.record() {
            if record.count == 1 && record[0].text.isEmpty && !record[0].quoted { continue }  // an empty line
            guard let columns = header else {
                (idColumn, nameColumn) = try self.columns(record, source: source)
                header = record
                continue
            }
            guard record.count == columns.count else {
                let hint = record.count > columns.count ? " (a name with a comma must be quoted: \"PETROV, Ivan\")" : ""
                throw source.error("this row has \(record.count) fields, the header has \(columns.count)\(hint)", at: record[0].position)
            }
            guard entries.count < PolicyLimits.entriesPerListMax else {
                throw source.error("more than \(PolicyLimits.entriesPerListMax) entries in one list", at: record[0].position)
            }
            let id = try checked(record[idColumn], "id", source: source)
            let entryName = try checked(record[nameColumn], "name", source: source)
            entries.append(NameListEntry(id: id, name: entryName))
        }
        guard header != nil else { throw source.error("the file is empty: a name list starts with the header id,name", line: 1, column: 1) }
        return PolicyNameList(name: name, source: sourcePath, entries: entries)
    }

    private static func columns(_ header: [Field], source: SourceText) throws(PolicyFileError) -> (id: Int, name: Int) {
        func column(_ wanted: String) throws(PolicyFileError) -> Int {
            let matches = header.indices.filter { header[$0].text == wanted }
            guard matches.count == 1 else {
                let problem = matches.isEmpty ? "has no column '\(wanted)'" : "names the column '\(wanted)' twice"
                throw source.error("the header \(problem): a name list starts with the header id,name", at: header[matches.last ?? 0].position)
            }
            return matches[0]
        }
        return (try column("id"), try column("name"))
    }

    private static func checked(_ field: Field, _ what: String, source: SourceText) throws(PolicyFileError) -> String {
        let text = field.text
        guard !text.isEmpty else { throw source.error("empty \(what)", at: field.position) }
        guard text.utf8.count <= PolicyLimits.listNameBytesMax else {
            throw source.error("the \(what) is \(text.utf8.count) bytes, more than \(PolicyLimits.listNameBytesMax)", at: field.position)
        }
        if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = "U+" + String(control.value, radix: 16, uppercase: true)
            throw source.error("the \(what) holds the control character \(code) (ids and names are one line of text)", at: field.position)
        }
        return text
    }

    struct Field {
        let text: String
        let quoted: Bool
        /// Where the field starts (its opening quote, when quoted).
        let position: TextPosition
    }

    /// Reads records over the UTF-8 bytes (every CSV delimiter is ASCII).
    private struct Scanner {
        let source: SourceText
        let bytes: [UInt8]
        var offset = 0

        init(source: SourceText) {
            self.source = source
            self.bytes = source.bytes
        }

        static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        /// The next record, or `nil` at the end of the file.
        mutating func record() throws(PolicyFileError) -> [Field]? {
            guard offset < bytes.count else { return nil }
            var fields: [Field] = []
            while true {
                fields.append(try field())
                guard offset < bytes.count else { return fields }
                let byte = bytes[offset]
                offset += 1
                if byte == Self.lf { return fields }
                if byte == Self.cr {
                    offset += 1  // field() stops at a CR only when an LF follows
                    return fields
                }
                precondition(byte == Self.comma, "a field ends at a comma, a line break or the end")
            }
        }

        private func atLineBreak(_ at: Int) -> Bool {
            bytes[at] == Self.lf || (bytes[at] == Self.cr && at + 1 < bytes.count && bytes[at + 1] == Self.lf)
        }

        private mutating func field() throws(PolicyFileError) -> Field {
            let start = offset
            let position = source.position(ofByte: start)
            guard offset < bytes.count, bytes[offset] == Self.quote else {
                while offset < bytes.count, bytes[offset] != Self.comma, !atLineBreak(offset) {
                    if bytes[offset] == Self.quote {
                        throw source.error("a quote inside an unquoted field: quote the whole field and write a quote as \"\"", at: source.position(ofByte: offset))
                    }
                    offset += 1
                }
                return Field(text: String(decoding: bytes[start..<offset], as: UTF8.self), quoted: false, position: position)
            }
            offset += 1
            var text: [UInt8] = []
            while true {
                guard offset < bytes.count else { throw source.error("a quoted field is not closed", at: position) }
                let byte = bytes[offset]
                offset += 1
                guard byte == Self.quote else {
                    text.append(byte)
                    continue
                }
                guard offset < bytes.count, bytes[offset] == Self.quote else { break }
                text.append(Self.quote)
                offset += 1
            }
            guard offset == bytes.count || bytes[offset] == Self.comma || atLineBreak(offset) else {
                throw source.error("only a comma or a line break may follow a closing quote", at: source.position(ofByte: offset))
            }
            return Field(text: String(decoding: text, as: UTF8.self), quoted: true, position: position)
        }
    }
}
