import Foundation

extension PolicyTestReport {
    /// The version of the `json` document's shape; raised when a member changes meaning.
    public static let jsonVersion = 1

    /// A machine-readable report, canonical (RFC 8785) so that equal reports are equal bytes:
    ///
    /// ```
    /// {"version": 1, "passed": 12, "failed": 1,
    ///  "cases": [{"file", "policy", "name", "location": {"file", "line", "column"}, "passed",
    ///             "expect": {"outcome"?, "score"?, "fired"?},
    ///             "actual": {"outcome", "score", "fired"} | null,
    ///             "failures": [{"kind": "outcome" | "score", "expected", "actual"}
    ///                        | {"kind": "fired", "missing", "unexpected"}
    ///                        | {"kind": "policy-not-in-bundle" | "policy-does-not-compile", "message"}],
    ///             "rule_errors": [{"rule", "message"}], "input_problems": [string]}],
    ///  "coverage": null | {"rules": count, "branches": count,
    ///                      "policies": [{"policy", "rules": count, "branches": count, "rules_not_hit": [id],
    ///                                    "branches_not_exercised": [{"rule", "operand", "value"}],
    ///                                    "walk_mismatches"}]}}
    /// ```
    ///
    /// where a count is `{"covered", "total", "basis_points"}` (hundredths of a percent, rounded
    /// down; 10000 when there is nothing to cover). Cases are in run order, policies by id.
    public var json: CanonicalJSON {
        [
            "version": Self.integer(Self.jsonVersion),
            "passed": Self.integer(passed),
            "failed": Self.integer(failed),
            "cases": .array(cases.map(Self.json)),
            "coverage": coverage.map(Self.json) ?? .null,
        ]
    }

    private static func json(_ result: PolicyTestCaseResult) -> CanonicalJSON {
        var expect: [String: CanonicalJSON] = [:]
        if let outcome = result.expect.outcome { expect["outcome"] = .string(outcome.rawValue) }
        if let score = result.expect.score { expect["score"] = integer(score) }
        if let fired = result.expect.fired { expect["fired"] = strings(fired) }
        let actual: CanonicalJSON = result.actual.map { actual in
            ["outcome": .string(actual.outcome.rawValue), "score": integer(actual.score), "fired": strings(actual.fired)]
        } ?? .null
        return [
            "file": .string(result.file),
            "policy": .string(result.policy),
            "name": .string(result.name),
            "location": [
                "file": .string(result.location.file), "line": integer(result.location.line), "column": integer(result.location.column),
            ],
            "passed": .bool(result.passed),
            "expect": .object(CanonicalJSON.Object(expect)),
            "actual": actual,
            "failures": .array(result.failures.map(json)),
            "rule_errors": .array(result.ruleErrors.map { ["rule": .string($0.rule), "message": .string($0.message)] }),
            "input_problems": strings(result.inputProblems),
        ]
    }

    private static func json(_ failure: PolicyTestFailure) -> CanonicalJSON {
        switch failure {
        case .policyNotInBundle(let id): ["kind": "policy-not-in-bundle", "message": .string(failure.description), "policy": .string(id)]
        case .policyDoesNotCompile(let message): ["kind": "policy-does-not-compile", "message": .string(message)]
        case .outcome(let expected, let actual):
            ["kind": "outcome", "expected": .string(expected.rawValue), "actual": .string(actual.rawValue)]
        case .score(let expected, let actual): ["kind": "score", "expected": integer(expected), "actual": integer(actual)]
        case .fired(let missing, let unexpected): ["kind": "fired", "missing": strings(missing), "unexpected": strings(unexpected)]
        }
    }

    private static func json(_ coverage: PolicyCoverage) -> CanonicalJSON {
        [
            "rules": json(coverage.rules),
            "branches": json(coverage.branches),
            "policies": .array(coverage.policies.map { entry in
                [
                    "policy": .string(entry.policy),
                    "rules": json(entry.rules),
                    "branches": json(entry.branches),
                    "rules_not_hit": strings(entry.rulesNotHit),
                    "branches_not_exercised": .array(entry.branchesNotExercised.map {
                        ["rule": .string($0.rule), "operand": .string($0.operand), "value": .bool($0.value)]
                    }),
                    "walk_mismatches": integer(entry.walkMismatches),
                ]
            }),
        ]
    }

    private static func json(_ count: PolicyCoverageCount) -> CanonicalJSON {
        ["covered": integer(count.covered), "total": integer(count.total), "basis_points": integer(count.basisPoints)]
    }

    private static func strings(_ values: [String]) -> CanonicalJSON { .array(values.map(CanonicalJSON.string)) }

    /// Counts, scores and positions here are far inside ±(2^53 − 1).
    private static func integer(_ value: Int) -> CanonicalJSON {
        guard let json = CanonicalJSON(exactly: value) else { preconditionFailure("\(value) is outside JSON's safe integers") }
        return json
    }
}
