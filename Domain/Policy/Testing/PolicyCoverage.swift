import Foundation

/// How much of the tested policies the cases exercised (docs/policies.md §6): rules that hit in
/// at least one case, and `&&`/`||` branches (see `PolicyBranchPlan`). Counted over the policies
/// that had at least one case run; the other policies of the bundle are not in it.
public struct PolicyCoverage: Sendable, Hashable {
    /// One entry a policy, by id.
    public let policies: [PolicyCoverageEntry]

    public init(policies: [PolicyCoverageEntry]) {
        self.policies = policies.sorted { $0.policy < $1.policy }
    }

    public var rules: PolicyCoverageCount {
        PolicyCoverageCount(covered: policies.reduce(0) { $0 + $1.rules.covered }, total: policies.reduce(0) { $0 + $1.rules.total })
    }

    public var branches: PolicyCoverageCount {
        PolicyCoverageCount(
            covered: policies.reduce(0) { $0 + $1.branches.covered }, total: policies.reduce(0) { $0 + $1.branches.total }
        )
    }

    /// True when both the rule and the branch share are at least `thresholdPercent` (0 to 100).
    public func meets(thresholdPercent: Double) -> Bool {
        rules.meets(thresholdPercent: thresholdPercent) && branches.meets(thresholdPercent: thresholdPercent)
    }
}

/// `covered` of `total`. A count with nothing to cover is fully covered (its share is 100%).
public struct PolicyCoverageCount: Sendable, Hashable, CustomStringConvertible {
    public let covered: Int
    public let total: Int

    public init(covered: Int, total: Int) {
        precondition(covered >= 0 && covered <= total, "covered is 0 to total")
        self.covered = covered
        self.total = total
    }

    /// The share in hundredths of a percent, rounded down (so never more than the truth).
    public var basisPoints: Int { total == 0 ? 10_000 : covered * 10_000 / total }

    /// Exact: `covered / total ≥ thresholdPercent / 100`.
    public func meets(thresholdPercent: Double) -> Bool {
        precondition(thresholdPercent.isFinite && (0...100).contains(thresholdPercent), "a threshold is 0 to 100 percent")
        return Double(covered) * 100 >= thresholdPercent * Double(total)
    }

    /// `11/12 (91.7%)`, the share rounded to a tenth of a percent; `0/0 (n/a)` for nothing to cover.
    public var description: String {
        guard total > 0 else { return "0/0 (n/a)" }
        let tenths = (covered * 2_000 + total) / (2 * total)
        return "\(covered)/\(total) (\(tenths / 10).\(tenths % 10)%)"
    }
}

/// The coverage of one policy.
public struct PolicyCoverageEntry: Sendable, Hashable {
    public let policy: String
    public let rules: PolicyCoverageCount
    public let branches: PolicyCoverageCount
    /// Rule ids, in the policy's order.
    public let rulesNotHit: [String]
    /// In rule order, then operand order, false before true.
    public let branchesNotExercised: [PolicyBranch]
    /// Rule evaluations where the branch walk's own value of a rule differed from the engine's
    /// trace (hit, no hit, error). Zero unless the walk and the engine have drifted apart (say, a
    /// function the engine provides that the walk's evaluator lacks); when it is not zero, this
    /// policy's branch figures are not to be trusted.
    public let walkMismatches: Int

    public init(
        policy: String, rules: PolicyCoverageCount, branches: PolicyCoverageCount, rulesNotHit: [String],
        branchesNotExercised: [PolicyBranch], walkMismatches: Int
    ) {
        self.policy = policy
        self.rules = rules
        self.branches = branches
        self.rulesNotHit = rulesNotHit
        self.branchesNotExercised = branchesNotExercised
        self.walkMismatches = walkMismatches
    }
}

/// One branch: an operand of a `&&`/`||` chain in a rule, and the value it was (not) seen to take.
public struct PolicyBranch: Sendable, Hashable, CustomStringConvertible {
    public let rule: String
    /// The operand as CEL text (re-rendered from the parsed rule: spacing and parentheses may
    /// differ from the file).
    public let operand: String
    public let value: Bool

    public init(rule: String, operand: String, value: Bool) {
        self.rule = rule
        self.operand = operand
        self.value = value
    }

    /// `just-under-ctr: txn.amount_minor < 1000000 was false`
    public var description: String { "\(rule): \(operand) was \(value)" }
}

/// Gathers one policy's coverage over the cases run against it; the cost of a case is linear in
/// the size of the policy's rules.
struct PolicyCoverageRecorder {
    /// A bundle of the one policy recorded.
    private let alone: CompiledBundle
    private var compiled: CompiledBundle.CompiledPolicy { alone.policies[0] }
    private let plans: [PolicyBranchPlan]
    private var hit: [Bool]
    private var exercised: [[Bool]]
    private var walkMismatches = 0

    init(_ alone: CompiledBundle) {
        precondition(alone.policies.count == 1, "coverage is recorded for a policy compiled alone")
        self.alone = alone
        let compiled = alone.policies[0]
        plans = compiled.rules.map { PolicyBranchPlan($0.program.expression) }
        hit = Array(repeating: false, count: compiled.rules.count)
        exercised = plans.map { Array(repeating: false, count: $0.branchCount) }
    }

    /// Records one case: `results` is the engine's result of each rule, by rule id.
    mutating func record(input: CanonicalJSON, results: [String: RuleResult]) {
        let bindings = compiled.ruleBindings(for: input, in: alone)
        for (index, (rule, _)) in compiled.rules.enumerated() {
            let engine = results[rule.id]
            if engine == .hit { hit[index] = true }
            let walked = plans[index].walk(bindings, exercised: &exercised[index])
            let agrees = switch (walked, engine) {
            case (.success(.bool(true)), .hit?), (.success(.bool(false)), .noHit?): true
            case (.success(.bool), _), (_, .hit?), (_, .noHit?), (_, nil): false
            default: true  // both failed (an error, or a `when` that is not a bool)
            }
            if !agrees { walkMismatches += 1 }
        }
    }

    var entry: PolicyCoverageEntry {
        var notHit: [String] = []
        var notExercised: [PolicyBranch] = []
        var branchesCovered = 0
        for (index, (rule, _)) in compiled.rules.enumerated() {
            if !hit[index] { notHit.append(rule.id) }
            for (operandIndex, operand) in plans[index].operands.enumerated() {
                for value in [false, true] {
                    if exercised[index][PolicyBranchPlan.branch(operand: operandIndex, value: value)] {
                        branchesCovered += 1
                    } else {
                        notExercised.append(PolicyBranch(rule: rule.id, operand: operand.source, value: value))
                    }
                }
            }
        }
        let branchesTotal = plans.reduce(0) { $0 + $1.branchCount }
        return PolicyCoverageEntry(
            policy: compiled.policy.id,
            rules: PolicyCoverageCount(covered: hit.count - notHit.count, total: hit.count),
            branches: PolicyCoverageCount(covered: branchesCovered, total: branchesTotal),
            rulesNotHit: notHit, branchesNotExercised: notExercised, walkMismatches: walkMismatches
        )
    }
}
