/// Splits a SQL script into statements at top-level semicolons, the way psql does:
/// semicolons inside quotes ('…', E'…', "…"), dollar quotes ($$…$$, $tag$…$tag$)
/// and comments (-- …, nested /* … */) do not end a statement.
/// postgres-nio speaks only the extended protocol, which takes one statement at a time.
struct SQLScript {
    struct Statement: Equatable {
        /// 1-based line of the statement's first non-blank character in the script.
        let line: Int
        let sql: String
    }

    enum SplitError: Error, Equatable {
        case unterminated(what: String, line: Int)
    }

    static func statements(in script: String) throws(SplitError) -> [Statement] {
        let chars = Array(script.unicodeScalars)
        var result: [Statement] = []
        var current = String.UnicodeScalarView()
        var line = 1
        var startLine: Int?
        var i = 0

        func take(_ count: Int) {
            for k in i..<min(i + count, chars.count) {
                current.append(chars[k])
                if chars[k] == "\n" { line += 1 }
            }
            i += count
        }
        func at(_ k: Int) -> Unicode.Scalar? { k < chars.count ? chars[k] : nil }

        while i < chars.count {
            let c = chars[i]
            if startLine == nil, !c.properties.isWhitespace, c != ";" { startLine = line }
            switch c {
            case "-" where at(i + 1) == "-":
                while i < chars.count, chars[i] != "\n" { take(1) }
            case "/" where at(i + 1) == "*":
                let open = line
                var depth = 0
                repeat {
                    if at(i) == "/", at(i + 1) == "*" { depth += 1; take(2) }
                    else if at(i) == "*", at(i + 1) == "/" { depth -= 1; take(2) }
                    else if i < chars.count { take(1) }
                    else { throw .unterminated(what: "block comment", line: open) }
                } while depth > 0
            case "'", "\"":
                let escapes = c == "'" && i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                let open = line
                take(1)
                while true {
                    guard let d = at(i) else { throw .unterminated(what: "quoted text", line: open) }
                    if escapes, d == "\\" { take(2); continue }
                    take(1)
                    if d == c {
                        if at(i) == c { take(1); continue }  // doubled quote
                        break
                    }
                }
            case "$":
                guard let tag = dollarTag(chars, from: i) else { take(1); break }
                let open = line
                take(tag.count)
                while true {
                    guard i < chars.count else { throw .unterminated(what: "dollar-quoted text", line: open) }
                    if chars[i] == "$", i + tag.count <= chars.count, Array(chars[i..<i + tag.count]) == tag {
                        take(tag.count)
                        break
                    }
                    take(1)
                }
            case ";":
                i += 1
                let text = String(current).trimmingWhitespace
                if !text.isEmpty, let startLine { result.append(Statement(line: startLine, sql: text)) }
                current = String.UnicodeScalarView()
                startLine = nil
            default:
                take(1)
            }
        }
        let rest = String(current).trimmingWhitespace
        if !rest.isEmpty, let startLine, !isOnlyComments(rest) {
            result.append(Statement(line: startLine, sql: rest))
        }
        return result
    }

    /// `$tag$` starting at `i` (tag: letters, digits, underscores, not starting with a digit), or nil.
    private static func dollarTag(_ chars: [Unicode.Scalar], from i: Int) -> [Unicode.Scalar]? {
        var k = i + 1
        while k < chars.count, chars[k] != "$" {
            let s = chars[k]
            let ok = s == "_" || s.properties.isAlphabetic || (k > i + 1 && ("0"..."9").contains(s))
            guard ok else { return nil }
            k += 1
        }
        guard k < chars.count else { return nil }
        return Array(chars[i...k])
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingWhitespace.isEmpty || $0.trimmingWhitespace.hasPrefix("--") }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}
