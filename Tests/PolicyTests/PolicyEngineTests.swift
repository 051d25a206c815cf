import Domain
import Foundation
import Testing

@Suite("Policy engine")
struct PolicyEngineTests {
    static let inputs = [PolicyInput(name: "txn.amount_minor", type: .int), PolicyInput(name: "txn.kind", type: .string)]

    static func policy(
        id: String = "p", status: PolicyStatus = .active, rules: [PolicyRule], variables: [PolicyVariable] = [],
        thresholds: PolicyThresholds = PolicyThresholds(review: 40, block: 70, decline: 90)
    ) -> Policy {
        Policy(
            id: id, version: "1", status: status, owner: "aml", refs: ["31 CFR 1010.311"], inputs: inputs,
            variables: variables, rules: rules, thresholds: thresholds
        )
    }

    static func input(amountMinor: Int64, kind: String = "cash") -> CanonicalJSON {
        ["txn": ["amount_minor": CanonicalJSON(integerLiteral: amountMinor), "kind": .string(kind)]]
    }

    static func decide(_ policies: [Policy], _ input: CanonicalJSON) throws -> Decision {
        try CompiledBundle(policies).evaluate(input, decisionID: UUID())
    }

    @Test func scoresReachThresholds() throws {
        let rules = [
            PolicyRule(id: "big", when: "txn.amount_minor >= 800000", score: 40, reason: "large"),
            PolicyRule(id: "cash", when: "txn.kind == 'cash'", score: 30, reason: "cash"),
        ]
        #expect(try Self.decide([Self.policy(rules: rules)], Self.input(amountMinor: 100, kind: "wire")).outcome == .approve)
        #expect(try Self.decide([Self.policy(rules: rules)], Self.input(amountMinor: 900_000, kind: "wire")).outcome == .review)
        let both = try Self.decide([Self.policy(rules: rules)], Self.input(amountMinor: 900_000))
        #expect(both.outcome == .block)
        #expect(both.score == 70)
        #expect(both.fired().map(\.rule) == ["big", "cash"])
    }

    @Test func forcedOutcomeWinsOverLowScore() throws {
        let rules = [PolicyRule(id: "stop", when: "txn.amount_minor > 0", score: 0, force: .decline, reason: "forced")]
        #expect(try Self.decide([Self.policy(rules: rules)], Self.input(amountMinor: 1)).outcome == .decline)
    }

    @Test func variablesAreEvaluatedInOrder() throws {
        let variables = [PolicyVariable(name: "usd", expression: "txn.amount_minor / 100"), PolicyVariable(name: "big", expression: "usd >= 9000")]
        let rules = [PolicyRule(id: "r", when: "big", score: 40, reason: "big")]
        #expect(try Self.decide([Self.policy(rules: rules, variables: variables)], Self.input(amountMinor: 950_000)).outcome == .review)
    }

    @Test func erroringRuleForcesAtLeastReview() throws {
        let rules = [
            PolicyRule(id: "divide", when: "txn.amount_minor / 0 > 1", score: 0, reason: "broken"),
            // dyn(): the checker cannot know the type, so the rule fails when evaluated.
            PolicyRule(id: "not_bool", when: "dyn(txn.amount_minor)", score: 0, reason: "not a bool"),
        ]
        let decision = try Self.decide([Self.policy(rules: rules)], Self.input(amountMinor: 5))
        #expect(decision.outcome == .review)
        #expect(decision.trace.allSatisfy { if case .error = $0.result { true } else { false } })
        // A missing input leaves the name unbound: the rule fails, never approves silently.
        let missing = try Self.decide([Self.policy(rules: [PolicyRule(id: "r", when: "txn.amount_minor > 1", score: 0, reason: "r")])], ["txn": [:]])
        #expect(missing.outcome == .review)
        #expect(missing.inputProblems == ["p: input txn.amount_minor is missing", "p: input txn.kind is missing"])
    }

    /// A trace goes into the audit log: a failing rule's error names the kind of failure, never
    /// a value of the input (here a map key and a string that does not convert).
    @Test func anErrorTraceQuotesNoInputValue() throws {
        let secret = "Jane Roe 4111111111111111"
        let inputs = [PolicyInput(name: "txn.tags", type: .map), PolicyInput(name: "txn.note", type: .string)]
        let rules = [
            PolicyRule(id: "key", when: "txn.tags[txn.note] == 'x'", score: 0, reason: "lookup"),
            PolicyRule(id: "convert", when: "int(txn.note) > 0", score: 0, reason: "conversion"),
        ]
        let policy = Policy(
            id: "p", version: "1", status: .active, owner: "aml", refs: [], inputs: inputs, variables: [], rules: rules,
            thresholds: PolicyThresholds(review: 40, block: 70, decline: 90))
        let decision = try Self.decide([policy], ["txn": ["tags": ["a": "b"], "note": .string(secret)]])
        #expect(decision.outcome == .review)
        #expect(decision.trace.count == 2)
        for entry in decision.trace {
            guard case .error(let message) = entry.result else { Issue.record("\(entry.rule) did not fail"); continue }
            #expect(!message.contains("Jane") && !message.contains("4111"), "\(entry.rule): \(message)")
        }
    }

    /// Inputs are found once per decision for all policies (`PolicyInputResolver`): each policy
    /// still gets its own declared type and default, and its own problems; names match exactly.
    @Test func inputsAreResolvedOncePerPolicyDeclaration() throws {
        func policy(_ id: String, _ inputs: [PolicyInput], _ when: String) -> Policy {
            Policy(
                id: id, version: "1", status: .active, owner: "aml", refs: [], inputs: inputs, variables: [],
                rules: [PolicyRule(id: "r", when: when, score: 50, reason: "r")], thresholds: PolicyThresholds(review: 50))
        }
        let policies = [
            policy("as-int", [PolicyInput(name: "txn.amount_minor", type: .int)], "txn.amount_minor == 7"),
            policy("as-double", [PolicyInput(name: "txn.amount_minor", type: .double)], "txn.amount_minor == 7.0"),
            policy("as-string", [PolicyInput(name: "txn.amount_minor", type: .string)], "txn.amount_minor == '7'"),
            policy("defaulted", [PolicyInput(name: "txn.kind", type: .string, defaultValue: "cash")], "txn.kind == 'cash'"),
            policy("kind", [PolicyInput(name: "txn.Kind", type: .string)], "txn.Kind == 'cash'"),
        ]
        // "\u{212A}ind" (KELVIN SIGN) is canonically equivalent to "Kind", so Swift's String
        // equality says they are equal; JSON names are compared by scalars, so it is not txn.Kind.
        let decision = try Self.decide(policies, ["txn": ["amount_minor": 7, "\u{212A}ind": "cash"]])
        #expect(decision.fired().map(\.policy) == ["as-double", "as-int", "defaulted"])  // policies in id order
        #expect(decision.inputProblems == [
            "as-string: input txn.amount_minor is not of type string", "kind: input txn.Kind is missing",
        ])
        #expect(decision.trace.first { $0.policy == "kind" }.map { if case .error = $0.result { true } else { false } } == true)
    }

    @Test func shadowNeverChangesTheOutcome() throws {
        let rules = [PolicyRule(id: "stop", when: "true", score: 100, force: .decline, reason: "shadow")]
        let broken = [PolicyRule(id: "err", when: "1 / 0 == 1", score: 0, reason: "shadow error")]
        let decision = try Self.decide(
            [Self.policy(id: "a", status: .shadow, rules: rules), Self.policy(id: "b", status: .shadow, rules: broken)],
            Self.input(amountMinor: 1)
        )
        #expect(decision.outcome == .approve)
        #expect(decision.score == 0)
        #expect(decision.trace.count == 2)
        #expect(decision.policies.first?.outcome == .decline)
    }

    @Test func draftAndRetiredAreNotEvaluated() throws {
        let rules = [PolicyRule(id: "stop", when: "true", score: 0, force: .decline, reason: "r")]
        let decision = try Self.decide(
            [Self.policy(id: "a", status: .draft, rules: rules), Self.policy(id: "b", status: .retired, rules: rules)],
            Self.input(amountMinor: 1)
        )
        #expect(decision.outcome == .approve)
        #expect(decision.trace.isEmpty)
    }

    @Test func bundleHashIgnoresOrderAndTracksRuleChanges() throws {
        let a = Self.policy(id: "a", rules: [PolicyRule(id: "r", when: "true", score: 1, reason: "r")])
        let b = Self.policy(id: "b", rules: [PolicyRule(id: "r", when: "false", score: 1, reason: "r")])
        let hash = try CompiledBundle([a, b]).bundleHash
        #expect(try CompiledBundle([b, a]).bundleHash == hash)
        #expect(hash.count == 64)
        let changed = Self.policy(id: "b", rules: [PolicyRule(id: "r", when: "false", score: 2, reason: "r")])
        #expect(try CompiledBundle([a, changed]).bundleHash != hash)
        let decision = try CompiledBundle([a, b]).evaluate(Self.input(amountMinor: 1), decisionID: UUID())
        #expect(decision.bundleHash == hash)
        // The digest covers the input with the salt (docs/policies.md §7), computed here by hand.
        let salted: CanonicalJSON = ["input": Self.input(amountMinor: 1), "salt": ""]
        #expect(decision.inputDigest == SHA256.hash(salted.canonicalBytes).hexString)
        let salt: [UInt8] = Array(repeating: 7, count: 16)
        let withSalt = try CompiledBundle([a, b]).evaluate(Self.input(amountMinor: 1), decisionID: UUID(), salt: salt)
        let saltedAgain: CanonicalJSON = ["input": Self.input(amountMinor: 1), "salt": .string(Data(salt).base64EncodedString())]
        #expect(withSalt.inputDigest == SHA256.hash(saltedAgain.canonicalBytes).hexString)
        #expect(withSalt.inputDigest != decision.inputDigest)
    }

    @Test func compileErrorNamesPolicyRuleAndPosition() {
        let rules = [PolicyRule(id: "ok", when: "true", score: 1, reason: "r"), PolicyRule(id: "bad", when: "txn.amount_minor >", score: 1, reason: "r")]
        #expect {
            try CompiledBundle([Self.policy(rules: rules)])
        } throws: { error in
            guard let error = error as? PolicyError else { return false }
            return error.policy == "p" && error.path == [.key("rules"), .index(1), .key("when")] && error.expressionPosition?.line == 1
        }
    }

    @Test func validationRefusesDuplicatesAndBadThresholds() {
        let rule = PolicyRule(id: "r", when: "true", score: 1, reason: "r")
        #expect(throws: PolicyError.self) { try PolicyBundle([Self.policy(rules: [rule, rule])]) }
        #expect(throws: PolicyError.self) { try PolicyBundle([Self.policy(rules: [rule]), Self.policy(rules: [rule])]) }
        #expect(throws: PolicyError.self) {
            try PolicyBundle([Self.policy(rules: [rule], thresholds: PolicyThresholds(review: 50, block: 40))])
        }
        #expect(throws: PolicyError.self) { try PolicyBundle([Self.policy(id: "Bad Id", rules: [rule])]) }
    }
}
