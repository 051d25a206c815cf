import Foundation

/// Runs policy test suites (docs/policies.md §6). Each case is evaluated against its suite's
/// policy alone, as if it were active (so shadow and draft policies are tested like any other),
/// and compared with what it expects: the policy's own outcome, its summed score, and the set
/// of its rules that hit.
public struct PolicyTestRunner: Sendable {
    public let bundle: CompiledBundle

    /// Test files of one bundle: far more than one a policy.
    public static let suitesPerRunMax = 4 * PolicyLimits.policiesPerBundleMax

    public init(bundle: CompiledBundle) {
        self.bundle = bundle
    }

    /// Runs the cases of `suites` that `filter` selects: a case is run when `filter` accepts
    /// `"<suite file>/<case name>"` or its bare name (no filter runs every case). With
    /// `coverage`, the report also has rule and branch coverage over the policies that had at
    /// least one case run. Each policy is compiled once, however many cases and suites it has.
    public func run(_ suites: [PolicyTestSuite], filter: ((String) -> Bool)? = nil, coverage: Bool = false) -> PolicyTestReport {
        precondition(suites.count <= Self.suitesPerRunMax, "at most \(Self.suitesPerRunMax) test suites a run")
        var compiledByPolicy: [String: PolicyAlone] = [:]
        var recorders: [String: PolicyCoverageRecorder] = [:]
        var results: [PolicyTestCaseResult] = []
        for suite in suites {
            precondition(suite.cases.count <= PolicyTestLimits.casesPerSuiteMax, "at most \(PolicyTestLimits.casesPerSuiteMax) cases a suite")
            let selected = suite.cases.filter { testCase in
                filter.map { accepts in accepts(suite.file + "/" + testCase.name) || accepts(testCase.name) } ?? true
            }
            guard !selected.isEmpty else { continue }
            let compiled = compiledByPolicy[suite.policy] ?? compileAlone(suite.policy)
            compiledByPolicy[suite.policy] = compiled
            switch compiled {
            case .unrunnable(let failure):
                results += selected.map { Self.unrunnable($0, suite, failure) }
            case .ready(let alone):
                precondition(alone.policies.count == 1, "one policy compiled alone")
                var recorder = coverage ? recorders.removeValue(forKey: suite.policy) ?? PolicyCoverageRecorder(alone) : nil
                for testCase in selected { results.append(Self.run(testCase, suite, alone, recorder: &recorder)) }
                recorders[suite.policy] = recorder
            }
        }
        return PolicyTestReport(cases: results, coverage: coverage ? PolicyCoverage(policies: recorders.values.map(\.entry)) : nil)
    }

    /// A suite's policy, compiled alone, or why its cases cannot run.
    private enum PolicyAlone {
        case ready(CompiledBundle)
        case unrunnable(PolicyTestFailure)
    }

    private func compileAlone(_ policy: String) -> PolicyAlone {
        switch bundle.compiledAlone(policy: policy) {
        case nil: .unrunnable(.policyNotInBundle(policy))
        case .failure(let error)?: .unrunnable(.policyDoesNotCompile(error.description))
        case .success(let alone)?: .ready(alone)
        }
    }

    /// The id of every test decision: a test decision is never recorded.
    private static let decisionID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    private static func run(
        _ testCase: PolicyTestCase, _ suite: PolicyTestSuite, _ alone: CompiledBundle, recorder: inout PolicyCoverageRecorder?
    ) -> PolicyTestCaseResult {
        let decision = alone.evaluate(testCase.input, decisionID: decisionID)
        guard let result = decision.policies.first(where: { $0.policy == suite.policy }) else {
            preconditionFailure("a policy evaluated as active is in its decision")
        }
        let trace = decision.trace.filter { $0.policy == suite.policy }
        let actual = PolicyTestActual(outcome: result.outcome, score: result.score, fired: trace.filter { $0.result == .hit }.map(\.rule))
        let ruleErrors = trace.compactMap { line -> PolicyTestRuleError? in
            guard case .error(let message) = line.result else { return nil }
            return PolicyTestRuleError(rule: line.rule, message: message)
        }
        recorder?.record(input: testCase.input, results: Dictionary(trace.map { ($0.rule, $0.result) }, uniquingKeysWith: { first, _ in first }))
        return PolicyTestCaseResult(
            file: suite.file, policy: suite.policy, name: testCase.name, location: testCase.location, expect: testCase.expect,
            actual: actual, failures: failures(testCase.expect, actual), ruleErrors: ruleErrors, inputProblems: decision.inputProblems
        )
    }

    /// What differs between `expect` and `actual`, in the order outcome, score, fired.
    static func failures(_ expect: PolicyExpectation, _ actual: PolicyTestActual) -> [PolicyTestFailure] {
        var failures: [PolicyTestFailure] = []
        if let outcome = expect.outcome, outcome != actual.outcome { failures.append(.outcome(expected: outcome, actual: actual.outcome)) }
        if let score = expect.score, score != actual.score { failures.append(.score(expected: score, actual: actual.score)) }
        if let fired = expect.fired {
            let got = Set(actual.fired)
            let wanted = Set(fired)
            var seen = Set<String>()
            let missing = fired.filter { !got.contains($0) && seen.insert($0).inserted }
            let unexpected = actual.fired.filter { !wanted.contains($0) }
            if !missing.isEmpty || !unexpected.isEmpty { failures.append(.fired(missing: missing, unexpected: unexpected)) }
        }
        return failures
    }

    private static func unrunnable(_ testCase: PolicyTestCase, _ suite: PolicyTestSuite, _ failure: PolicyTestFailure) -> PolicyTestCaseResult {
        PolicyTestCaseResult(
            file: suite.file, policy: suite.policy, name: testCase.name, location: testCase.location, expect: testCase.expect,
            actual: nil, failures: [failure], ruleErrors: [], inputProblems: []
        )
    }
}
