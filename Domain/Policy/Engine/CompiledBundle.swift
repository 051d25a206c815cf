import Foundation

/// A bundle with every CEL expression parsed once, ready to evaluate many decisions.
/// Compile errors name the policy, the rule or variable, and the position inside the expression.
public struct CompiledBundle: Sendable {
    public let bundle: PolicyBundle
    /// SHA-256 (lower-case hex) of the bundle's canonical content (`PolicyBundle.canonicalJSON`).
    public let bundleHash: String
    let policies: [CompiledPolicy]

    struct CompiledPolicy: Sendable {
        let policy: Policy
        let variables: [(name: String, program: CELProgram)]
        let rules: [(rule: PolicyRule, program: CELProgram)]
    }

    public init(_ bundle: PolicyBundle) throws(PolicyError) {
        self.bundle = bundle
        self.bundleHash = SHA256.hash(bundle.canonicalJSON.canonicalBytes).hexString
        var compiled: [CompiledPolicy] = []
        for policy in bundle.policies {
            var variables: [(name: String, program: CELProgram)] = []
            for variable in policy.variables {
                let program = try Self.compile(variable.expression, policy: policy.id, path: [.key("variables"), .key(variable.name)])
                variables.append((variable.name, program))
            }
            var rules: [(rule: PolicyRule, program: CELProgram)] = []
            for (index, rule) in policy.rules.enumerated() {
                let program = try Self.compile(rule.when, policy: policy.id, path: [.key("rules"), .index(index), .key("when")])
                rules.append((rule, program))
            }
            compiled.append(CompiledPolicy(policy: policy, variables: variables, rules: rules))
        }
        self.policies = compiled
    }

    public init(_ policies: [Policy]) throws(PolicyError) {
        try self.init(PolicyBundle(policies))
    }

    private static func compile(_ source: String, policy: String, path: [PolicyPathComponent]) throws(PolicyError) -> CELProgram {
        guard source.utf8.count <= PolicyLimits.expressionBytesMax else {
            throw PolicyError(policy: policy, path: path, "expression longer than \(PolicyLimits.expressionBytesMax) bytes")
        }
        do {
            return try CELProgram(source)
        } catch {
            throw PolicyError(policy: policy, path: path, error.message, expressionPosition: error.position)
        }
    }
}
