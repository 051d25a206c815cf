import Foundation

extension CompiledBundle {
    /// Decides on `input` (a JSON object). Never throws: a failing rule is traced as an error and
    /// lifts its policy to at least `review`, so that a broken rule can never approve silently.
    /// `salt` goes into the input's digest (`DecisionInput.digest`) and is kept with the decision.
    public func evaluate(_ input: CanonicalJSON, decisionID: UUID, salt: [UInt8] = []) -> Decision {
        precondition(salt.count <= Decision.saltBytesMax, "a salt is at most \(Decision.saltBytesMax) bytes")
        let inputDigest = DecisionInput.digest(input, salt: salt)
        var outcome = PolicyOutcome.approve
        var score = 0
        var results: [PolicyResult] = []
        var trace: [RuleTrace] = []
        var problems: [String] = []
        let resolved = inputs.resolve(input)
        for compiled in policies where compiled.policy.status.isEvaluated {
            let policy = compiled.policy
            var bindings = compiled.bindInputs(resolved, problems: &problems)
            for (name, program) in compiled.variables {
                // A failing variable stays unbound; rules that use it fail and are traced as errors.
                if let value = try? program.evaluate(bindings) { bindings[name] = value }
            }
            let shadow = policy.status == .shadow
            var policyScore = 0
            var forced = PolicyOutcome.approve
            for (rule, program) in compiled.rules {
                let result: RuleResult
                do {
                    let value = try program.evaluate(bindings)
                    if case .bool(let hit) = value { result = hit ? .hit : .noHit } else { result = .error("'when' gave \(value.type.rawValue), not bool") }
                } catch {
                    result = .error(error.safeDescription)
                }
                var contribution = 0
                switch result {
                case .hit:
                    contribution = rule.score
                    policyScore += rule.score
                    if let force = rule.force { forced = max(forced, force) }
                case .noHit: break
                case .error: forced = max(forced, .review)
                }
                trace.append(RuleTrace(
                    policy: policy.id, rule: rule.id, result: result, reason: rule.reason, scoreContribution: contribution, shadow: shadow
                ))
            }
            let policyOutcome = max(forced, policy.thresholds.outcome(forScore: policyScore))
            results.append(PolicyResult(policy: policy.id, version: policy.version, status: policy.status, score: policyScore, outcome: policyOutcome))
            if !shadow {
                score += policyScore
                outcome = max(outcome, policyOutcome)
            }
        }
        return Decision(
            id: decisionID, bundleHash: bundleHash, inputDigest: inputDigest, inputSalt: salt, outcome: outcome, score: score,
            policies: results, trace: trace, inputProblems: problems
        )
    }

    static func value(_ json: CanonicalJSON, as type: PolicyInputType) -> CELValue? {
        switch (type, json) {
        case (.int, .integer(let integer)): return .int(integer.value)
        case (.uint, .integer(let integer)): return integer.value >= 0 ? .uint(UInt64(integer.value)) : nil
        case (.double, .integer(let integer)): return .double(Double(integer.value))
        case (.string, .string(let string)): return .string(string)
        case (.bool, .bool(let bool)): return .bool(bool)
        case (.bytes, .string(let base64)): return Data(base64Encoded: base64).map { .bytes([UInt8]($0)) }
        case (.list, .array), (.map, .object): return celValue(json)
        default: return nil
        }
    }

    /// JSON to CEL: integers become `int`, objects maps with string keys.
    public static func celValue(_ json: CanonicalJSON) -> CELValue {
        switch json {
        case .null: return .null
        case .bool(let bool): return .bool(bool)
        case .integer(let integer): return .int(integer.value)
        case .string(let string): return .string(string)
        case .array(let elements): return .list(elements.map(celValue))
        case .object(let object):
            var map = CELMap()
            for member in object.members { _ = map.insert(.string(member.name), celValue(member.value)) }
            return .map(map)
        }
    }
}

extension CompiledBundle.CompiledPolicy {
    /// Binds each of the policy's declared inputs that `resolved` holds, with its declared type,
    /// under its dotted name; each one missing or of the wrong type is a problem, in the order
    /// of the declarations.
    func bindInputs(_ resolved: [PolicyInputResolver.Resolved], problems: inout [String]) -> [String: CELValue] {
        var bindings: [String: CELValue] = [:]
        bindings.reserveCapacity(inputSlots.count + variables.count)
        for (declared, slot) in zip(policy.inputs, inputSlots) {
            switch resolved[slot] {
            case .value(let value): bindings[declared.name] = value
            case .missing: problems.append("\(policy.id): input \(declared.name) is missing")
            case .wrongType: problems.append("\(policy.id): input \(declared.name) is not of type \(declared.type.rawValue)")
            }
        }
        return bindings
    }
}
