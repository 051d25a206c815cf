import Domain
import Foundation
import PolicyAdapters
import Testing

/// `*.test.yaml` files, their JSON-lines tables, and `custos policy eval --input` files.
@Suite("Policy folder: tests, tables and inputs")
struct PolicyTestFileTests {
    static let tests = """
        tests:
          - name: just under
            input:
              txn: {amount_minor: 950000, kind: cash, tags: [a, "b"], note: no, flag: true, gone: null}
            expect:
              outcome: review
              score: 40
              fired: [big]
          - name: the table
            table: data/cases.jsonl
          - name: nothing fires
            input: {txn: {amount_minor: -9007199254740991, kind: wire}}
            expect: {fired: []}

        """

    static let table = """
        {"name": "small", "input": {"txn": {"amount_minor": 100, "kind": "cash"}}, "expect": {"outcome": "approve", "fired": []}}

        {"name": "large", "input": {"txn": {"amount_minor": 2000000, "kind": "cash"}}, "expect": {"score": 40}}

        """

    func fixture(tests: String = Self.tests, table: String = Self.table) throws -> Fixture {
        try Fixture(["cash.yaml": policyYAML(), "cash.test.yaml": tests, "data/cases.jsonl": table])
    }

    @Test func inlineCasesAndATableLoad() throws {
        let fixture = try fixture()
        let suites = try PolicyFolder.loadTests(fixture.folder, for: try PolicyFolder.load(fixture.folder))
        let suite = try #require(suites.first)
        #expect(suites.count == 1 && suite.policy == "cash" && suite.file == fixture.path("cash.test.yaml"))
        #expect(suite.cases.map(\.name) == ["just under", "the table / small", "the table / large", "nothing fires"])
        let first = suite.cases[0]
        // The YAML 1.2 core schema: `no` is a string, `true` a boolean, `null` null.
        let txn: CanonicalJSON = [
            "amount_minor": 950000, "kind": "cash", "tags": ["a", "b"], "note": "no", "flag": true, "gone": nil,
        ]
        #expect(first.input == ["txn": txn])
        #expect(first.expect == PolicyExpectation(outcome: .review, score: 40, fired: ["big"]))
        #expect(first.location == PolicySourceLocation(file: fixture.path("cash.test.yaml"), line: 2, column: 5))
        #expect(suite.cases[2].location == PolicySourceLocation(file: fixture.path("data/cases.jsonl"), line: 3, column: 1))
        #expect(suite.cases[2].expect == PolicyExpectation(outcome: nil, score: 40, fired: nil))
        #expect(suite.cases[3].expect.fired == [])
        #expect(suite.cases[3].input == ["txn": ["amount_minor": -9007199254740991, "kind": "wire"]])
    }

    @Test func aTestFileNamesItsPolicyOrFollowsItsFileName() throws {
        let fixture = try Fixture(["cash.yaml": policyYAML(), "other.test.yaml": "policy: cash\n" + Self.tests, "data/cases.jsonl": Self.table])
        #expect(try PolicyFolder.loadTests(fixture.folder, for: try PolicyFolder.load(fixture.folder)).first?.policy == "cash")
        try fixture.write("other.test.yaml", Self.tests)
        let orphan = try #require(try fixture.testsError())
        #expect(orphan.place == "other.test.yaml:1:1")
        #expect(orphan.reason == "no policy file \(fixture.path("other.yaml")) beside this test file: name the policy with 'policy:'")
        try fixture.write("other.test.yaml", "policy: cahs\n" + Self.tests)
        let named = try #require(try fixture.testsError())
        #expect(named.place == "other.test.yaml:1:9")
        #expect(named.reason == "policy: no policy 'cahs' in the bundle; did you mean 'cash'?")
    }

    @Test func inlineCaseErrorsAreAtTheirValue() throws {
        func error(_ tests: String) throws -> PolicyFileError? { try fixture(tests: tests).testsError() }
        let unknownRule = try #require(try error("tests:\n  - name: n\n    input: {txn: {}}\n    expect: {fired: [bgi]}\n"))
        #expect(unknownRule.place == "cash.test.yaml:4:22")
        #expect(unknownRule.reason == "tests[0].expect.fired[0]: policy cash has no rule 'bgi'; did you mean 'big'?")
        let float = try #require(try error("tests:\n  - name: n\n    input: {txn: {amount_minor: 9500.00}}\n    expect: {score: 0}\n"))
        #expect(float.place == "cash.test.yaml:3:33")
        #expect(float.reason == "tests[0].input.txn.amount_minor: the float 9500.00 is not accepted: amounts are integers in minor units")
        let big = try #require(try error("tests:\n  - name: n\n    input: {txn: {amount_minor: 9007199254740992}}\n    expect: {score: 0}\n"))
        #expect(big.reason == "tests[0].input.txn.amount_minor: the integer 9007199254740992 is beyond ±(2^53 − 1)")
        let nothing = try #require(try error("tests:\n  - name: n\n    input: {}\n    expect: {}\n"))
        #expect(nothing.place == "cash.test.yaml:4:13")
        #expect(nothing.reason == "tests[0].expect: a case expects at least one of outcome, score, fired")
        let outcome = try #require(try error("tests:\n  - name: n\n    input: {}\n    expect: {outcome: reveiw}\n"))
        #expect(outcome.reason == "tests[0].expect.outcome: 'reveiw' is not one of approve, review, block, decline; did you mean 'review'?")
        let missing = try #require(try error("tests:\n  - name: n\n    expect: {score: 1}\n"))
        #expect(missing.place == "cash.test.yaml:2:5")
        #expect(missing.reason == "tests[0]: missing required key 'input' (or a 'table')")
        let named = try self.fixture(tests: "tests:\n  - {name: n, input: {}, expect: {score: 1}}\n  - {name: n, input: {}, expect: {score: 2}}\n")
        let twice = try #require(try named.testsError())
        #expect(twice.place == "cash.test.yaml:3:5")
        #expect(twice.reason == "a second case named 'n' (the first is at \(named.path("cash.test.yaml")):2:5)")
    }

    @Test func tableErrorsAreAtTheirLineAndColumn() throws {
        func error(_ table: String) throws -> PolicyFileError? { try fixture(table: table).testsError() }
        let syntax = try #require(try error("{\"name\": \"a\", \"input\": {}, \"expect\": {\"score\": 1}}\n{\"name\": \"b\" \"input\": {}}\n"))
        #expect(syntax.place == "cases.jsonl:2:14")
        #expect(syntax.sourceLine == "{\"name\": \"b\" \"input\": {}}")
        let float = try #require(try error("{\"name\": \"a\", \"input\": {\"txn\": {\"amount_minor\": 1.5}}, \"expect\": {\"score\": 1}}\n"))
        #expect(float.place == "cases.jsonl:1:49")
        #expect(float.reason == "a number with a fraction or an exponent: JSON floats are not accepted, amounts are integers in minor units")
        let unknown = try #require(try error("{\"name\": \"a\", \"input\": {\"expect\": 1}, \"expect\": {\"scor\": 1}}\n"))
        #expect(unknown.place == "cases.jsonl:1:50")
        #expect(unknown.reason == "expect.scor: unknown key 'scor'; did you mean 'score'? (known: outcome, score, fired)")
        let outcome = try #require(try error("{\"name\": \"a\", \"input\": {}, \"expect\": {\"outcome\": \"maybe\"}}\n"))
        #expect(outcome.place == "cases.jsonl:1:39")
        #expect(outcome.reason == "expect.outcome: expected one of approve, review, block, decline")
        let fired = try #require(try error("{\"name\": \"a\", \"input\": {}, \"expect\": {\"fired\": [\"big\", \"big\"]}}\n"))
        #expect(fired.reason == "expect.fired: rule 'big' is named twice (fired is a set)")
        let notObject = try #require(try error("[1, 2]\n"))
        #expect(notObject.place == "cases.jsonl:1:1")
    }

    @Test func anInputFileIsOneJSONObject() throws {
        let fixture = try Fixture(["in.json": "{\"txn\": {\"amount_minor\": 950000}, \"features\": {}}\n"])
        #expect(try PolicyFolder.loadInput(fixture.path("in.json")) == ["txn": ["amount_minor": 950000], "features": [:]])
        func error(_ json: String) throws -> PolicyFileError {
            try fixture.write("in.json", json)
            do {
                _ = try PolicyFolder.loadInput(fixture.path("in.json"))
            } catch {
                return error
            }
            Issue.record("the input loaded")
            return PolicyFileError("", at: PolicySourceLocation(file: "", line: 1, column: 1), sourceLine: nil)
        }
        let float = try error("{\"txn\": {\n  \"account_id\": \"ACC-001\", \"amount_minor\": 9500.5}}")
        #expect(float.place == "in.json:2:44")
        #expect(float.reason.hasSuffix("JSON floats are not accepted, amounts are integers in minor units"))
        // The line is never shown: an input holds account numbers and names.
        #expect(float.sourceLine == nil && float.rendered == "\(float.location): \(float.reason)")
        #expect(try error("[1]").reason == "the input must be a JSON object: the decision's input document (txn, features)")
        #expect(try error(String(repeating: " ", count: PolicyFileLimits.jsonBytesMax + 1)).reason == "cannot read the input file: 65536 bytes, more than the limit of 65535 bytes")
    }
}
