import Domain

/// What every test case is checked for, written inline (YAML) or in a table (JSON lines).
struct CaseChecks {
    let policy: Policy

    /// Why `fired` cannot be what the policy fires, with the index of the offending id.
    func problem(withFired fired: [String]) -> (index: Int, message: String)? {
        let ids = policy.rules.map(\.id)
        var seen = Set<String>()
        for (index, id) in fired.enumerated() {
            guard ids.contains(id) else {
                var message = "policy \(policy.id) has no rule '\(id)'"
                if let near = YAMLFieldReader.nearest(id, in: ids) { message += "; did you mean '\(near)'?" }
                return (index, message)
            }
            guard seen.insert(id).inserted else { return (index, "rule '\(id)' is named twice (fired is a set)") }
        }
        return nil
    }

    static func problem(withName name: String) -> String? {
        name.isEmpty || name.utf8.count > PolicyTestLimits.caseNameBytesMax ? "a case name is 1 to \(PolicyTestLimits.caseNameBytesMax) bytes" : nil
    }

    static func problem(withInput input: CanonicalJSON) -> String? {
        guard case .object = input else { return "the input is the decision's input document: a mapping (txn, features)" }
        let bytes = input.canonicalBytes.count
        return bytes > PolicyTestLimits.inputBytesMax ? "the input is \(bytes) bytes of JSON, more than \(PolicyTestLimits.inputBytesMax)" : nil
    }
}

/// A table of cases (docs/policies.md §6): JSON lines, one case an object per line,
/// `{"name": …, "input": {…}, "expect": {…}}`; blank lines are skipped. A case's name is
/// the table's own name (the `name` of the test that names the table), " / ", and its `name`.
enum PolicyTestTable {
    static let keys = ["name", "input", "expect"]
    static let expectKeys = ["outcome", "score", "fired"]

    static func read(_ source: SourceText, group: String, checks: CaseChecks) throws(PolicyFileError) -> [PolicyTestCase] {
        var cases: [PolicyTestCase] = []
        for line in 1...source.lineCount {
            guard let bytes = source.lineBytes(line), !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { continue }
            guard bytes.count <= PolicyFileLimits.jsonBytesMax else {
                throw source.error("a table line is at most \(PolicyFileLimits.jsonBytesMax) bytes; this one is \(bytes.count)", line: line, column: 1)
            }
            let value: CanonicalJSON
            do {
                value = try CanonicalJSON.parse(Array(bytes))
            } catch {
                throw source.error(JSONReasons.reason(error), line: line, column: error.column)
            }
            cases.append(try testCase(value, line: line, bytes: Array(bytes), group: group, checks: checks, source: source))
        }
        return cases
    }

    private static func testCase(
        _ value: CanonicalJSON, line: Int, bytes: [UInt8], group: String, checks: CaseChecks, source: SourceText
    ) throws(PolicyFileError) -> PolicyTestCase {
        func fail(_ members: [String], _ message: String) -> PolicyFileError {
            let column = JSONMemberColumn.find(members, in: bytes) ?? 1
            return source.error(members.isEmpty ? message : "\(members.joined(separator: ".")): \(message)", line: line, column: column)
        }
        guard case .object(let object) = value else { throw fail([], "a case is a JSON object {\"name\", \"input\", \"expect\"}") }
        try refuseUnknown(object, known: keys, at: [], fail)
        guard case .string(let name)? = object["name"] else { throw fail(object["name"] == nil ? [] : ["name"], "a case needs a name (a string)") }
        if let problem = CaseChecks.problem(withName: name) { throw fail(["name"], problem) }
        guard let input = object["input"] else { throw fail([], "a case needs an input") }
        if let problem = CaseChecks.problem(withInput: input) { throw fail(["input"], problem) }
        guard case .object(let expect)? = object["expect"] else { throw fail(object["expect"] == nil ? [] : ["expect"], "a case needs an expect object") }
        try refuseUnknown(expect, known: expectKeys, at: ["expect"], fail)
        var outcome: PolicyOutcome?
        if let member = expect["outcome"] {
            guard case .string(let text) = member, let value = PolicyOutcome(rawValue: text) else {
                throw fail(["expect", "outcome"], "expected one of \(PolicyOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            outcome = value
        }
        var score: Int?
        if let member = expect["score"] {
            guard case .integer(let value) = member else { throw fail(["expect", "score"], "expected an integer") }
            score = Int(value.value)
        }
        var fired: [String]?
        if let member = expect["fired"] {
            guard case .array(let elements) = member else { throw fail(["expect", "fired"], "expected a list of rule ids") }
            var ids: [String] = []
            for element in elements {
                guard case .string(let id) = element else { throw fail(["expect", "fired"], "expected a list of rule ids (strings)") }
                ids.append(id)
            }
            if let problem = checks.problem(withFired: ids) { throw fail(["expect", "fired"], problem.message) }
            fired = ids
        }
        guard outcome != nil || score != nil || fired != nil else { throw fail(["expect"], "a case expects at least one of outcome, score, fired") }
        return PolicyTestCase(
            name: "\(group) / \(name)", input: input, expect: PolicyExpectation(outcome: outcome, score: score, fired: fired),
            location: PolicySourceLocation(file: source.file, line: line, column: 1)
        )
    }

    private static func refuseUnknown(
        _ object: CanonicalJSON.Object, known: [String], at members: [String], _ fail: ([String], String) -> PolicyFileError
    ) throws(PolicyFileError) {
        for member in object.members where !known.contains(member.name) {
            var message = "unknown key '\(member.name)'"
            if let near = YAMLFieldReader.nearest(member.name, in: known) { message += "; did you mean '\(near)'?" }
            throw fail(members + [member.name], message + " (known: \(known.joined(separator: ", ")))")
        }
    }
}

/// Reasons of `CanonicalJSON.parse` errors, with the float one said in the project's words.
enum JSONReasons {
    static func reason(_ error: CanonicalJSONError) -> String {
        switch error.kind {
        case .numberNotInteger: "a number with a fraction or an exponent: JSON floats are not accepted, amounts are integers in minor units"
        case .numberOutOfRange: "an integer beyond ±(2^53 − 1)"
        default: error.reason
        }
    }
}

/// The column at which a member (`["expect", "outcome"]`) of a one-line JSON object is
/// written: where its name's opening quote is. Strings are skipped whole, so a name inside a
/// string or inside another member's value is never taken for the member.
enum JSONMemberColumn {
    static func find(_ members: [String], in bytes: [UInt8]) -> Int? {
        var offset = 0
        var depth = 0
        var found: Int?
        var remaining = members[...]
        while offset < bytes.count, let wanted = remaining.first {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let start = offset
                offset = endOfString(bytes, from: offset)
                let text = String(decoding: bytes[(start + 1)..<max(start + 1, offset - 1)], as: UTF8.self)
                let targetDepth = members.count - remaining.count + 1
                if depth == targetDepth, text == wanted, bytes[offset...].first(where: { $0 != 0x20 && $0 != 0x09 }) == UInt8(ascii: ":") {
                    found = start
                    remaining = remaining.dropFirst()
                }
                continue
            }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
            if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                depth -= 1
                // Out of the value of the member found last: the one wanted is not in it.
                if remaining.count < members.count, depth < members.count - remaining.count + 1 { return nil }
            }
            offset += 1
        }
        guard let found, remaining.isEmpty else { return nil }
        return 1 + bytes[..<found].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    /// The offset just after the string that starts at `start` (its opening quote).
    private static func endOfString(_ bytes: [UInt8], from start: Int) -> Int {
        var offset = start + 1
        while offset < bytes.count {
            if bytes[offset] == UInt8(ascii: "\\") { offset += 2; continue }
            if bytes[offset] == UInt8(ascii: "\"") { return offset + 1 }
            offset += 1
        }
        return offset
    }
}
