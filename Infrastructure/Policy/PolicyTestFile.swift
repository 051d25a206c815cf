import Domain

/// A `*.test.yaml` file's YAML tree read into a `PolicyTestSuite` (docs/policies.md §6).
struct PolicyTestFile {
    static let keys = ["policy", "tests"]
    static let caseKeys = ["name", "input", "expect", "table"]
    static let expectKeys = ["outcome", "score", "fired"]

    let reader: YAMLFieldReader
    /// The policy under test: the one named by `policy:`, or by default the one in `<name>.yaml`.
    let policy: (_ named: YAMLScalar?) throws(PolicyFileError) -> Policy
    /// The cases of a table named by `file` (JSON lines, `PolicyTestTable`).
    let readTable: (_ file: YAMLScalar, _ group: String, _ checks: CaseChecks) throws(PolicyFileError) -> [PolicyTestCase]

    func suite(_ root: YAMLNode) throws(PolicyFileError) -> PolicyTestSuite {
        let fields = try reader.fields(root, [], known: Self.keys, required: ["tests"], what: "a test file")
        let named = try fields["policy"].map { node throws(PolicyFileError) in try reader.scalar(node, [.key("policy")], what: "a policy id") }
        let checks = CaseChecks(policy: try policy(named))
        guard let tests = fields["tests"] else { preconditionFailure("required keys were checked") }
        var cases: [PolicyTestCase] = []
        var names: [String: PolicySourceLocation] = [:]
        for (index, element) in try reader.sequence(tests, [.key("tests")], what: "a list of test cases").enumerated() {
            for testCase in try self.cases(element, path: [.key("tests"), .index(index)], checks: checks) {
                guard cases.count < PolicyTestLimits.casesPerSuiteMax else {
                    throw reader.fail([], "more than \(PolicyTestLimits.casesPerSuiteMax) cases in one test file", at: element.position)
                }
                if let first = names[testCase.name] {
                    let at = TextPosition(line: testCase.location.line, column: testCase.location.column)
                    let error = reader.fail([], "a second case named '\(testCase.name)' (the first is at \(first))", at: at)
                    // A tabled case is written in its table, not in this file.
                    throw testCase.location.file == reader.source.file ? error
                        : PolicyFileError(error.reason, at: testCase.location, sourceLine: nil)
                }
                names[testCase.name] = testCase.location
                cases.append(testCase)
            }
        }
        return PolicyTestSuite(file: reader.source.file, policy: checks.policy.id, cases: cases)
    }

    /// One entry of `tests`: an inline case, or a table of cases.
    private func cases(_ node: YAMLNode, path: [PolicyPathComponent], checks: CaseChecks) throws(PolicyFileError) -> [PolicyTestCase] {
        let fields = try reader.fields(node, path, known: Self.caseKeys, required: ["name"], what: "a test case")
        guard let nameNode = fields["name"] else { preconditionFailure("required keys were checked") }
        let name = try reader.text(nameNode, path + [.key("name")])
        if let problem = CaseChecks.problem(withName: name) { throw reader.fail(path + [.key("name")], problem, at: nameNode.position) }
        if let table = fields["table"] {
            for key in ["input", "expect"] where fields[key] != nil {
                throw reader.fail(path, "a case with a table takes its \(key) from the table", at: fields.pairs.first { $0.key.text == key }?.key.position ?? node.position)
            }
            return try readTable(try reader.scalar(table, path + [.key("table")], what: "the path of a JSON-lines file"), name, checks)
        }
        for key in ["input", "expect"] where fields[key] == nil {
            throw reader.fail(path, "missing required key '\(key)' (or a 'table')", at: node.position)
        }
        guard let inputNode = fields["input"], let expectNode = fields["expect"] else { preconditionFailure("checked just above") }
        let input = try reader.json(inputNode, path + [.key("input")])
        if let problem = CaseChecks.problem(withInput: input) { throw reader.fail(path + [.key("input")], problem, at: inputNode.position) }
        let expect = try expectation(expectNode, path: path + [.key("expect")], checks: checks)
        return [PolicyTestCase(
            name: name, input: input, expect: expect,
            location: PolicySourceLocation(file: reader.source.file, line: node.position.line, column: node.position.column)
        )]
    }

    private func expectation(_ node: YAMLNode, path: [PolicyPathComponent], checks: CaseChecks) throws(PolicyFileError) -> PolicyExpectation {
        let fields = try reader.fields(node, path, known: Self.expectKeys, required: [], what: "an expectation")
        let outcome = try fields["outcome"].map { node throws(PolicyFileError) in try reader.choice(node, path + [.key("outcome")], as: PolicyOutcome.self) }
        let score = try fields["score"].map { node throws(PolicyFileError) in try reader.integer(node, path + [.key("score")]) }
        var fired: [String]?
        if let firedNode = fields["fired"] {
            let elements = try reader.sequence(firedNode, path + [.key("fired")], what: "a list of rule ids ([] for none)")
            var ids: [String] = []
            for (index, element) in elements.enumerated() { ids.append(try reader.text(element, path + [.key("fired"), .index(index)], what: "a rule id")) }
            if let problem = checks.problem(withFired: ids) {
                throw reader.fail(path + [.key("fired"), .index(problem.index)], problem.message, at: elements[problem.index].position)
            }
            fired = ids
        }
        guard outcome != nil || score != nil || fired != nil else {
            throw reader.fail(path, "a case expects at least one of outcome, score, fired", at: node.position)
        }
        return PolicyExpectation(outcome: outcome, score: score, fired: fired)
    }
}
