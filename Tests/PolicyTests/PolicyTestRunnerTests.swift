import Domain
import Foundation
import Testing

@Suite("Policy test runner")
struct PolicyTestRunnerTests {
    // MARK: Fixtures

    static let amountInputs = [PolicyInput(name: "txn.amount_minor", type: .int), PolicyInput(name: "txn.kind", type: .string)]
    static let flagInputs = ["a", "b", "c", "x"].map { PolicyInput(name: "f.\($0)", type: .bool) } + [PolicyInput(name: "f.n", type: .int)]

    static let amountRules = [
        PolicyRule(id: "big", when: "txn.amount_minor >= 800000", score: 40, reason: "large"),
        PolicyRule(id: "cash", when: "txn.kind == 'cash'", score: 30, reason: "cash"),
    ]

    static func policy(
        id: String = "p", status: PolicyStatus = .active, inputs: [PolicyInput] = amountInputs, rules: [PolicyRule] = amountRules,
        variables: [PolicyVariable] = []
    ) -> Policy {
        Policy(
            id: id, version: "1", status: status, owner: "aml", refs: [], inputs: inputs, variables: variables, rules: rules,
            thresholds: PolicyThresholds(review: 40, block: 70, decline: 90)
        )
    }

    static func amount(_ amountMinor: Int64, kind: String = "cash") -> CanonicalJSON {
        ["txn": ["amount_minor": CanonicalJSON(integerLiteral: amountMinor), "kind": .string(kind)]]
    }

    static func flags(_ values: [String: Bool], n: Int64 = 1) -> CanonicalJSON {
        var object = values.mapValues { CanonicalJSON.bool($0) }
        object["n"] = CanonicalJSON(integerLiteral: n)
        return ["f": .object(CanonicalJSON.Object(object))]
    }

    static func testCase(
        _ name: String, _ input: CanonicalJSON, outcome: PolicyOutcome? = nil, score: Int? = nil, fired: [String]? = nil, line: Int = 3
    ) -> PolicyTestCase {
        PolicyTestCase(
            name: name, input: input, expect: PolicyExpectation(outcome: outcome, score: score, fired: fired),
            location: PolicySourceLocation(file: "policies/p.test.yaml", line: line, column: 5)
        )
    }

    static func run(
        _ policies: [Policy], _ cases: [PolicyTestCase], policy: String = "p", filter: ((String) -> Bool)? = nil, coverage: Bool = false
    ) throws -> PolicyTestReport {
        let suite = PolicyTestSuite(file: "\(policy).test.yaml", policy: policy, cases: cases)
        return PolicyTestRunner(bundle: try CompiledBundle(policies)).run([suite], filter: filter, coverage: coverage)
    }

    /// Branch coverage of a single rule over bool inputs `f.a`, `f.b`, `f.c`, `f.x` (and int `f.n`).
    static func branchCoverage(_ when: String, _ inputs: [CanonicalJSON], variables: [PolicyVariable] = []) throws -> PolicyCoverageEntry {
        let policy = Self.policy(inputs: flagInputs, rules: [PolicyRule(id: "r", when: when, score: 1, reason: "r")], variables: variables)
        let cases = inputs.enumerated().map { testCase("case \($0.offset)", $0.element, score: 0) }
        let report = try run([policy], cases, coverage: true)
        let entry = try #require(report.coverage?.policies.first)
        #expect(entry.walkMismatches == 0)
        return entry
    }

    static func branch(_ operand: String, _ value: Bool) -> PolicyBranch { PolicyBranch(rule: "r", operand: operand, value: value) }

    // MARK: Pass and fail

    @Test func passingCasesPass() throws {
        let report = try Self.run([Self.policy()], [
            Self.testCase("large cash", Self.amount(900_000), outcome: .block, score: 70, fired: ["cash", "big"]),
            Self.testCase("small wire", Self.amount(5, kind: "wire"), outcome: .approve, score: 0, fired: []),
        ])
        #expect(report.passed == 2)
        #expect(report.failed == 0)
        #expect(report.cases.map(\.actual) == [
            PolicyTestActual(outcome: .block, score: 70, fired: ["big", "cash"]), PolicyTestActual(outcome: .approve, score: 0, fired: []),
        ])
        #expect(report.pretty == "PASS p.test.yaml/large cash\nPASS p.test.yaml/small wire\n2 passed, 0 failed\n")
    }

    @Test func eachKindOfDifferenceIsReported() throws {
        let report = try Self.run([Self.policy()], [
            Self.testCase("outcome", Self.amount(900_000), outcome: .decline, line: 4),
            Self.testCase("score", Self.amount(900_000, kind: "wire"), score: 30, line: 9),
            Self.testCase("fired", Self.amount(900_000, kind: "wire"), fired: ["cash", "cash"], line: 14),
            Self.testCase("all three", Self.amount(1, kind: "wire"), outcome: .review, score: 40, fired: ["big"], line: 19),
        ])
        #expect(report.passed == 0)
        #expect(report.failed == 4)
        #expect(report.cases.map(\.failures) == [
            [.outcome(expected: .decline, actual: .block)],
            [.score(expected: 30, actual: 40)],
            [.fired(missing: ["cash"], unexpected: ["big"])],
            [.outcome(expected: .review, actual: .approve), .score(expected: 40, actual: 0), .fired(missing: ["big"], unexpected: [])],
        ])
        #expect(report.pretty == """
            FAIL p.test.yaml/outcome
                at policies/p.test.yaml:4:5
                outcome: expected decline, got block
            FAIL p.test.yaml/score
                at policies/p.test.yaml:9:5
                score: expected 30, got 40
            FAIL p.test.yaml/fired
                at policies/p.test.yaml:14:5
                fired: missing [cash], unexpected [big]
            FAIL p.test.yaml/all three
                at policies/p.test.yaml:19:5
                outcome: expected review, got approve
                score: expected 40, got 0
                fired: missing [big]
            0 passed, 4 failed

            """)
    }

    @Test func firedIsASet() throws {
        let report = try Self.run([Self.policy()], [Self.testCase("order", Self.amount(900_000), fired: ["cash", "big", "cash"])])
        #expect(report.failed == 0)
    }

    @Test func ruleErrorsCarryTheirTraceMessage() throws {
        let rules = [
            PolicyRule(id: "divide", when: "txn.amount_minor / 0 > 1", score: 0, reason: "broken"),
            PolicyRule(id: "big", when: "txn.amount_minor >= 800000", score: 40, reason: "large"),
        ]
        let report = try Self.run([Self.policy(rules: rules)], [
            Self.testCase("expects approve", Self.amount(5), outcome: .approve),
            Self.testCase("expects review", Self.amount(5), outcome: .review, fired: []),
            Self.testCase("missing input", ["txn": ["kind": "cash"]], outcome: .approve),
        ])
        #expect(report.cases.map(\.passed) == [false, true, false])
        #expect(report.cases[0].ruleErrors == [PolicyTestRuleError(rule: "divide", message: "division by zero")])
        #expect(report.cases[1].ruleErrors == report.cases[0].ruleErrors)
        #expect(report.cases[2].ruleErrors.map(\.rule) == ["divide", "big"])
        #expect(report.cases[2].inputProblems == ["p: input txn.amount_minor is missing"])
        let pretty = report.pretty
        #expect(pretty.contains("""
            FAIL p.test.yaml/expects approve
                at policies/p.test.yaml:3:5
                outcome: expected approve, got review
                rule divide failed: division by zero

            """))
        #expect(pretty.contains("    input problem: p: input txn.amount_minor is missing\n"))
        #expect(!pretty.contains("PASS p.test.yaml/expects review\n    "))
    }

    @Test func aPolicyNotInTheBundleFailsItsCases() throws {
        let report = try Self.run([Self.policy()], [Self.testCase("one", Self.amount(1), score: 0), Self.testCase("two", Self.amount(1), score: 0)], policy: "nope")
        #expect(report.failed == 2)
        #expect(report.cases.allSatisfy { $0.failures == [.policyNotInBundle("nope")] && $0.actual == nil })
        #expect(report.pretty.contains("FAIL nope.test.yaml/one\n    at policies/p.test.yaml:3:5\n    policy 'nope' is not in the bundle\n"))
    }

    @Test func shadowAndDraftPoliciesAreTestedAsActive() throws {
        let stop = [PolicyRule(id: "stop", when: "txn.amount_minor > 0", score: 10, force: .decline, reason: "forced")]
        for status in [PolicyStatus.shadow, .draft, .retired] {
            let policy = Self.policy(status: status, rules: stop)
            // The bundle itself does not count the policy…
            #expect(try CompiledBundle([policy]).evaluate(Self.amount(1), decisionID: UUID()).outcome == .approve)
            // …but its tests see it as active.
            let report = try Self.run([policy], [Self.testCase("forced", Self.amount(1), outcome: .decline, score: 10, fired: ["stop"])])
            #expect(report.failed == 0, "status \(status)")
        }
    }

    @Test func eachCaseSeesItsPolicyAlone() throws {
        let other = Self.policy(id: "other", rules: [PolicyRule(id: "all", when: "true", score: 90, reason: "everything")])
        let report = try Self.run([Self.policy(), other], [Self.testCase("alone", Self.amount(1, kind: "wire"), outcome: .approve, score: 0, fired: [])])
        #expect(report.failed == 0)
    }

    @Test func filterSelectsByPathOrName() throws {
        let cases = [Self.testCase("alpha", Self.amount(1), score: 30), Self.testCase("beta", Self.amount(1), score: 30)]
        #expect(try Self.run([Self.policy()], cases, filter: { $0 == "p.test.yaml/beta" }).cases.map(\.name) == ["beta"])
        #expect(try Self.run([Self.policy()], cases, filter: { $0 == "alpha" }).cases.map(\.name) == ["alpha"])
        #expect(try Self.run([Self.policy()], cases, filter: { $0.hasPrefix("p.test") }).cases.map(\.name) == ["alpha", "beta"])
        let none = try Self.run([Self.policy()], cases, filter: { _ in false }, coverage: true)
        #expect(none.cases.isEmpty)
        #expect(none.pretty == "0 passed, 0 failed\ncoverage: rules 0/0 (n/a), branches 0/0 (n/a)\n")
    }
}

@Suite("Policy test coverage")
struct PolicyTestCoverageTests {
    typealias T = PolicyTestRunnerTests

    @Test func anAndChainOfThreeIsSixBranches() throws {
        // a && b && c: a, b, c each true and false. All true exercises the three "true"s; a false
        // stops the chain at a.
        let entry = try T.branchCoverage("f.a && f.b && f.c", [T.flags(["a": true, "b": true, "c": true]), T.flags(["a": false])])
        #expect(entry.branches == PolicyCoverageCount(covered: 4, total: 6))
        #expect(entry.branchesNotExercised == [T.branch("f.b", false), T.branch("f.c", false)])
        #expect(entry.rules == PolicyCoverageCount(covered: 1, total: 1))
        #expect(entry.rulesNotHit.isEmpty)
    }

    @Test func parenthesesOfOneOperatorAreOneChain() throws {
        let entry = try T.branchCoverage("f.a && (f.b && f.c)", [T.flags(["a": true, "b": true, "c": false])])
        #expect(entry.branches == PolicyCoverageCount(covered: 3, total: 6))
        #expect(entry.branchesNotExercised == [T.branch("f.a", false), T.branch("f.b", false), T.branch("f.c", true)])
    }

    @Test func aChainOfTheOtherOperatorIsAnOperandAndIsRecursedInto() throws {
        // a || (b && c): operands a and `b && c` of the ||, b and c of the &&: eight branches.
        let entry = try T.branchCoverage("f.a || (f.b && f.c)", [T.flags(["a": true]), T.flags(["a": false, "b": true, "c": false])])
        #expect(entry.branches == PolicyCoverageCount(covered: 5, total: 8))
        #expect(entry.branchesNotExercised == [T.branch("f.b && f.c", true), T.branch("f.b", false), T.branch("f.c", true)])
    }

    @Test func chainsUnderNotAreFound() throws {
        let entry = try T.branchCoverage("!(f.a && f.b)", [T.flags(["a": false]), T.flags(["a": true, "b": true])])
        #expect(entry.branches == PolicyCoverageCount(covered: 3, total: 4))
        #expect(entry.branchesNotExercised == [T.branch("f.b", false)])
        #expect(entry.rules == PolicyCoverageCount(covered: 1, total: 1))  // a false: !(false) hits
    }

    @Test func chainsInAConditionalAreFoundAndOnlyTheTakenBranchIsEvaluated() throws {
        // x ? (a && b) : c: the condition and `c` are no chain; a && b is four branches.
        let entry = try T.branchCoverage(
            "f.x ? (f.a && f.b) : f.c", [T.flags(["x": false, "a": true, "b": true, "c": true]), T.flags(["x": true, "a": true, "b": false])]
        )
        #expect(entry.branches == PolicyCoverageCount(covered: 2, total: 4))
        #expect(entry.branchesNotExercised == [T.branch("f.a", false), T.branch("f.b", true)])
    }

    @Test func macroBodiesAreSkipped() throws {
        // The && inside exists() is not counted; the exists() call is one operand of the outer chain.
        let entry = try T.branchCoverage("[1, 2].exists(i, i > 1 && f.a) && f.b", [T.flags(["a": true, "b": true])])
        #expect(entry.branches == PolicyCoverageCount(covered: 2, total: 4))
        #expect(entry.branchesNotExercised == [T.branch("[1, 2].exists(i, i > 1 && f.a)", false), T.branch("f.b", false)])
    }

    @Test func anOperandThatFailsExercisesNeither() throws {
        // 1 / 0 fails; CEL's || lets the true on its right win, so the rule hits.
        let entry = try T.branchCoverage("f.n / 0 > 1 || f.a", [T.flags(["a": true])])
        #expect(entry.branches == PolicyCoverageCount(covered: 1, total: 4))
        #expect(entry.branchesNotExercised == [T.branch("f.n / 0 > 1", false), T.branch("f.n / 0 > 1", true), T.branch("f.a", false)])
        #expect(entry.rules.covered == 1)
        // A missing input fails the operand that reads it, and only that one.
        let missing = try T.branchCoverage("f.a && f.b", [T.flags(["a": true])])
        #expect(missing.branches == PolicyCoverageCount(covered: 1, total: 4))
        #expect(missing.rules.covered == 0)
    }

    @Test func rulesSeeThePolicysVariables() throws {
        let entry = try T.branchCoverage("both && f.c", [T.flags(["a": true, "b": true, "c": false])], variables: [
            PolicyVariable(name: "both", expression: "f.a && f.b"),
        ])
        // Only the rule's own chain counts: `both` and `f.c`.
        #expect(entry.branches == PolicyCoverageCount(covered: 2, total: 4))
        #expect(entry.branchesNotExercised == [T.branch("both", false), T.branch("f.c", true)])
    }

    @Test func ruleCoverageCountsRulesThatHitOverTestedPolicies() throws {
        let tested = T.policy(rules: [
            PolicyRule(id: "big", when: "txn.amount_minor >= 800000 && txn.kind == 'cash'", score: 40, reason: "large cash"),
            PolicyRule(id: "never", when: "txn.amount_minor < 0", score: 10, reason: "negative"),
        ])
        let untested = T.policy(id: "untested", rules: [PolicyRule(id: "x", when: "false", score: 1, reason: "x")])
        let report = try T.run([tested, untested], [T.testCase("large", T.amount(900_000), outcome: .review)], coverage: true)
        let coverage = try #require(report.coverage)
        #expect(coverage.policies.map(\.policy) == ["p"])
        #expect(coverage.rules == PolicyCoverageCount(covered: 1, total: 2))
        #expect(coverage.branches == PolicyCoverageCount(covered: 2, total: 4))
        #expect(coverage.policies[0].rulesNotHit == ["never"])
        #expect(report.pretty.hasSuffix("""
            1 passed, 0 failed
            coverage: rules 1/2 (50.0%), branches 2/4 (50.0%)
              p: rules 1/2 (50.0%), branches 2/4 (50.0%)
                rule never hit: never
                branch not exercised: big: txn.amount_minor >= 800000 was false
                branch not exercised: big: txn.kind == "cash" was false

            """))
    }

    @Test func suitesOfOnePolicyAddUp() throws {
        let policy = T.policy(inputs: T.flagInputs, rules: [PolicyRule(id: "r", when: "f.a || f.b", score: 1, reason: "r")])
        let suites = [
            PolicyTestSuite(file: "one.test.yaml", policy: "p", cases: [T.testCase("a", T.flags(["a": true]), score: 1)]),
            PolicyTestSuite(file: "two.test.yaml", policy: "p", cases: [T.testCase("none", T.flags(["a": false, "b": false]), score: 0)]),
        ]
        let report = PolicyTestRunner(bundle: try CompiledBundle([policy])).run(suites, coverage: true)
        #expect(report.cases.map(\.path) == ["one.test.yaml/a", "two.test.yaml/none"])
        #expect(report.coverage?.branches == PolicyCoverageCount(covered: 3, total: 4))
        #expect(report.coverage?.policies.count == 1)
    }

    @Test func sharesAndThresholds() throws {
        let share = PolicyCoverageCount(covered: 11, total: 12)
        #expect(share.description == "11/12 (91.7%)")
        #expect(share.basisPoints == 9_166)
        #expect(PolicyCoverageCount(covered: 0, total: 0).basisPoints == 10_000)
        let coverage = PolicyCoverage(policies: [PolicyCoverageEntry(
            policy: "p", rules: PolicyCoverageCount(covered: 2, total: 3), branches: PolicyCoverageCount(covered: 9, total: 10),
            rulesNotHit: ["r"], branchesNotExercised: [], walkMismatches: 0
        )])
        let report = PolicyTestReport(cases: [], coverage: coverage)
        #expect(report.meets(thresholdPercent: 66.6))
        #expect(!report.meets(thresholdPercent: 66.7))  // 2/3 is 66.66…%, not rounded up
        #expect(report.meets(thresholdPercent: 0))
        #expect(!report.meets(thresholdPercent: 100))
        #expect(PolicyTestReport(cases: [], coverage: nil).meets(thresholdPercent: 100))
        #expect(PolicyTestReport(cases: [], coverage: PolicyCoverage(policies: [])).meets(thresholdPercent: 100))
    }

    @Test func branchesAreNamedInCELText() throws {
        let entry = try T.branchCoverage(
            #"(f.n + 1) * 2 > 3 && !f.a && size("a\"b") == 3 && (f.x ? 1 : 2) == 1 && f.n in [1, 2]"#, [T.flags(["a": false, "x": true])]
        )
        let operands = ["(f.n + 1) * 2 > 3", "!f.a", #"size("a\"b") == 3"#, "(f.x ? 1 : 2) == 1", "f.n in [1, 2]"]
        #expect(entry.branchesNotExercised == operands.map { T.branch($0, false) })
    }
}

@Suite("Policy test report JSON")
struct PolicyTestReportJSONTests {
    typealias T = PolicyTestRunnerTests

    @Test func theDocumentIsCanonicalAndComplete() throws {
        let policy = T.policy(rules: [
            PolicyRule(id: "big", when: "txn.amount_minor >= 800000 && txn.kind == 'cash'", score: 40, reason: "large cash"),
            PolicyRule(id: "divide", when: "txn.amount_minor / 0 > 1", score: 0, reason: "broken"),
        ])
        let cases = [
            T.testCase("ok", T.amount(900_000), outcome: .review, fired: ["big"]),
            T.testCase("bad", T.amount(1), outcome: .approve, score: 5, fired: ["big"], line: 8),
        ]
        let report = try T.run([policy], cases, coverage: true)
        #expect(report.json == (try T.run([policy], cases, coverage: true)).json)
        let text = report.json.description
        #expect(text == """
            {"cases":[\
            {"actual":{"fired":["big"],"outcome":"review","score":40},"expect":{"fired":["big"],"outcome":"review"},"failures":[],\
            "file":"p.test.yaml","input_problems":[],"location":{"column":5,"file":"policies/p.test.yaml","line":3},"name":"ok",\
            "passed":true,"policy":"p","rule_errors":[{"message":"division by zero","rule":"divide"}]},\
            {"actual":{"fired":[],"outcome":"review","score":0},"expect":{"fired":["big"],"outcome":"approve","score":5},\
            "failures":[{"actual":"review","expected":"approve","kind":"outcome"},{"actual":0,"expected":5,"kind":"score"},\
            {"kind":"fired","missing":["big"],"unexpected":[]}],\
            "file":"p.test.yaml","input_problems":[],"location":{"column":5,"file":"policies/p.test.yaml","line":8},"name":"bad",\
            "passed":false,"policy":"p","rule_errors":[{"message":"division by zero","rule":"divide"}]}],\
            "coverage":{"branches":{"basis_points":7500,"covered":3,"total":4},\
            "policies":[{"branches":{"basis_points":7500,"covered":3,"total":4},\
            "branches_not_exercised":[{"operand":"txn.kind == \\"cash\\"","rule":"big","value":false}],\
            "policy":"p","rules":{"basis_points":5000,"covered":1,"total":2},"rules_not_hit":["divide"],"walk_mismatches":0}],\
            "rules":{"basis_points":5000,"covered":1,"total":2}},\
            "failed":1,"passed":1,"version":1}
            """)
    }

    @Test func withoutCoverageTheMemberIsNull() throws {
        let report = try T.run([T.policy()], [T.testCase("ok", T.amount(1), score: 30)])
        guard case .object(let object) = report.json else { Issue.record("not an object"); return }
        #expect(object["coverage"] == .null)
        #expect(object["passed"] == 1)
    }
}
