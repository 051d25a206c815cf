import Foundation

/// What `PolicyTestRunner.run` found: one result a case that ran, in run order, and the
/// coverage when it was asked for. `pretty` and `json` are what `custos policy test` prints.
public struct PolicyTestReport: Sendable, Hashable {
    public let cases: [PolicyTestCaseResult]
    /// Nil unless the run was asked for coverage.
    public let coverage: PolicyCoverage?

    public init(cases: [PolicyTestCaseResult], coverage: PolicyCoverage?) {
        self.cases = cases
        self.coverage = coverage
    }

    public var passed: Int { cases.count(where: \.passed) }
    public var failed: Int { cases.count - passed }

    /// True when both coverage shares are at least `thresholdPercent` (0 to 100); true without
    /// coverage. Test failures are not part of it (see `failed`).
    public func meets(thresholdPercent: Double) -> Bool {
        coverage?.meets(thresholdPercent: thresholdPercent) ?? true
    }
}

/// The result of one case.
public struct PolicyTestCaseResult: Sendable, Hashable {
    /// The suite's file.
    public let file: String
    public let policy: String
    public let name: String
    public let location: PolicySourceLocation
    public let expect: PolicyExpectation
    /// What the policy gave; nil when it could not be evaluated (see `failures`).
    public let actual: PolicyTestActual?
    /// Empty when the case passed.
    public let failures: [PolicyTestFailure]
    /// The rules that failed to evaluate, with their trace messages, in rule order.
    public let ruleErrors: [PolicyTestRuleError]
    /// Declared inputs that were missing from the case's input or of another type.
    public let inputProblems: [String]

    public init(
        file: String, policy: String, name: String, location: PolicySourceLocation, expect: PolicyExpectation,
        actual: PolicyTestActual?, failures: [PolicyTestFailure], ruleErrors: [PolicyTestRuleError], inputProblems: [String]
    ) {
        self.file = file
        self.policy = policy
        self.name = name
        self.location = location
        self.expect = expect
        self.actual = actual
        self.failures = failures
        self.ruleErrors = ruleErrors
        self.inputProblems = inputProblems
    }

    public var passed: Bool { failures.isEmpty }
    /// `<suite file>/<case name>`: what `--run` matches, besides the bare name.
    public var path: String { file + "/" + name }
}

/// What a policy gave for one case, evaluated alone as if it were active.
public struct PolicyTestActual: Sendable, Hashable {
    public let outcome: PolicyOutcome
    public let score: Int
    /// The rules that hit, in rule order.
    public let fired: [String]

    public init(outcome: PolicyOutcome, score: Int, fired: [String]) {
        self.outcome = outcome
        self.score = score
        self.fired = fired
    }
}

/// One rule that failed to evaluate in a case: its id and its trace message.
public struct PolicyTestRuleError: Sendable, Hashable {
    public let rule: String
    public let message: String

    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }
}

/// One way a case failed.
public enum PolicyTestFailure: Sendable, Hashable, CustomStringConvertible {
    /// The suite names a policy the bundle does not have.
    case policyNotInBundle(String)
    /// The policy did not compile on its own (the message of the compile error).
    case policyDoesNotCompile(String)
    case outcome(expected: PolicyOutcome, actual: PolicyOutcome)
    case score(expected: Int, actual: Int)
    /// `missing`: expected to hit and did not (in the expectation's order); `unexpected`: hit and
    /// not expected to (in rule order). At least one is not empty.
    case fired(missing: [String], unexpected: [String])

    public var description: String {
        switch self {
        case .policyNotInBundle(let id): "policy '\(id)' is not in the bundle"
        case .policyDoesNotCompile(let message): "the policy does not compile: \(message)"
        case .outcome(let expected, let actual): "outcome: expected \(expected.rawValue), got \(actual.rawValue)"
        case .score(let expected, let actual): "score: expected \(expected), got \(actual)"
        case .fired(let missing, let unexpected):
            "fired: " + [
                missing.isEmpty ? nil : "missing [\(missing.joined(separator: ", "))]",
                unexpected.isEmpty ? nil : "unexpected [\(unexpected.joined(separator: ", "))]",
            ].compactMap { $0 }.joined(separator: ", ")
        }
    }
}

// MARK: - Pretty

extension PolicyTestReport {
    /// For a terminal: a `PASS`/`FAIL` line a case, each failure's details indented below it,
    /// the summary (`12 passed, 1 failed`), then the coverage, when it was asked for.
    public var pretty: String {
        var lines: [String] = []
        for result in cases {
            lines.append((result.passed ? "PASS " : "FAIL ") + result.path)
            guard !result.passed else { continue }
            lines.append("    at \(result.location)")
            lines += result.failures.map { "    \($0)" }
            lines += result.ruleErrors.map { "    rule \($0.rule) failed: \($0.message)" }
            lines += result.inputProblems.map { "    input problem: \($0)" }
        }
        lines.append("\(passed) passed, \(failed) failed")
        if let coverage { lines += Self.prettyLines(coverage) }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func prettyLines(_ coverage: PolicyCoverage) -> [String] {
        var lines = ["coverage: rules \(coverage.rules), branches \(coverage.branches)"]
        for entry in coverage.policies {
            lines.append("  \(entry.policy): rules \(entry.rules), branches \(entry.branches)")
            lines += entry.rulesNotHit.map { "    rule never hit: \($0)" }
            lines += entry.branchesNotExercised.map { "    branch not exercised: \($0)" }
            if entry.walkMismatches > 0 {
                lines.append("    warning: the branch walk disagreed with the engine \(entry.walkMismatches) times; branch figures are unreliable")
            }
        }
        return lines
    }
}
