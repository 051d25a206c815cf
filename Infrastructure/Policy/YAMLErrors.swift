import Yams

/// Yams' errors as `PolicyFileError`s at their line and column.
enum YAMLErrors {
    static func map(_ error: YamlError, source: SourceText) -> PolicyFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var reason = "YAML syntax: \(problem)"
            if let context, context.mark.line != mark.line || context.mark.column != mark.column {
                reason += " (\(context.text) at \(context.mark.line):\(context.mark.column))"
            }
            return source.error(reason, line: mark.line, column: mark.column)
        case .reader(let problem, let offset, _, let yaml):
            return source.error("YAML: \(problem)", at: position(ofCharacterOffset: offset, in: yaml, source: source))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicateKey(duplicates.first ?? "?", first: TextPosition(line: context.mark.line, column: context.mark.column), source: source)
        default:
            return source.error("YAML: \(error)", line: 1, column: 1)
        }
    }

    /// Yams gives a reader error's place as a count of `Character`s from the start.
    private static func position(ofCharacterOffset offset: Int?, in yaml: String, source: SourceText) -> TextPosition {
        guard let offset, let index = yaml.index(yaml.startIndex, offsetBy: offset, limitedBy: yaml.endIndex) else {
            return TextPosition(line: 1, column: 1)
        }
        return source.position(ofByte: yaml.utf8.distance(from: yaml.utf8.startIndex, to: index))
    }

    /// Yams reports a duplicate at the key's first occurrence; the error belongs at the second.
    /// It is found in the file: in a block mapping, a later line indented like the first key
    /// (before the mapping ends at a line indented less); in a flow mapping, later on the same
    /// line after a `,`. When neither finds it, the first occurrence is shown.
    static func duplicateKey(_ key: String, first: TextPosition, source: SourceText) -> PolicyFileError {
        if let second = secondOccurrence(of: key, after: first, source: source) {
            return source.error("duplicate key '\(key)' (first at line \(first.line), column \(first.column))", at: second)
        }
        return source.error("duplicate key '\(key)': it occurs again later in this mapping", at: first)
    }

    private static func secondOccurrence(of key: String, after first: TextPosition, source: SourceText) -> TextPosition? {
        let spellings = [key, "\"\(key)\"", "'\(key)'"].map { Array($0.unicodeScalars) }
        func keyStarts(_ scalars: [Unicode.Scalar], at column: Int) -> Bool {
            for spelling in spellings where scalars.count >= column - 1 + spelling.count {
                guard Array(scalars[(column - 1)..<(column - 1 + spelling.count)]) == spelling else { continue }
                let rest = scalars[(column - 1 + spelling.count)...].drop { $0 == " " || $0 == "\t" }
                if rest.first == ":" { return true }
            }
            return false
        }
        guard let firstLine = source.lineScalars(first.line) else { return nil }
        var column = first.column + 1
        while column <= firstLine.count {  // flow: `{a: 1, a: 2}`
            if firstLine[column - 2] == "," || firstLine[column - 2] == "{" {
                let start = column + firstLine[(column - 1)...].prefix { $0 == " " }.count
                if keyStarts(firstLine, at: start) { return TextPosition(line: first.line, column: start) }
            }
            column += 1
        }
        var line = first.line + 1
        while let scalars = source.lineScalars(line) {  // block: the same indentation on a later line
            let indent = scalars.prefix { $0 == " " }.count
            let blank = indent == scalars.count || scalars[indent] == "#"
            if !blank {
                if indent < first.column - 1 { return nil }
                if indent == first.column - 1, keyStarts(scalars, at: first.column) { return TextPosition(line: line, column: first.column) }
            }
            line += 1
        }
        return nil
    }
}
