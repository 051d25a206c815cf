import Foundation

/// A bundle with every CEL expression parsed and checked once, ready to evaluate many decisions.
/// Compile errors name the policy, the rule or variable, and the position inside the expression.
public struct CompiledBundle: Sendable {
    public let bundle: PolicyBundle
    /// SHA-256 (lower-case hex) of the bundle's canonical content (`PolicyBundle.canonicalJSON`).
    public let bundleHash: String
    let policies: [CompiledPolicy]
    /// Every policy's declared inputs, found in a decision's input once for all policies.
    let inputs: PolicyInputResolver

    struct CompiledPolicy: Sendable {
        let policy: Policy
        /// The resolver's slot of each of `policy.inputs`, in their order.
        let inputSlots: [Int]
        let variables: [(name: String, program: CELProgram)]
        let rules: [(rule: PolicyRule, program: CELProgram)]
    }

    /// Compiles every variable and rule checked (`CELProgram(_:declarations:expecting:)`) against
    /// its policy's declared inputs, the variables declared before it (with their inferred types)
    /// and `name_distance` over the policy's lists; a `when` must be a bool. Each list's screening
    /// index is built here, once, and shared by every expression of its policy.
    public init(_ bundle: PolicyBundle) throws(PolicyError) {
        self.bundle = bundle
        self.bundleHash = SHA256.hash(bundle.canonicalJSON.canonicalBytes).hexString
        let inputs = PolicyInputResolver(bundle.policies.flatMap(\.inputs))
        var compiled: [CompiledPolicy] = []
        for policy in bundle.policies {
            var declarations = Self.declarations(policy)
            var variables: [(name: String, program: CELProgram)] = []
            for variable in policy.variables {
                let path: [PolicyPathComponent] = [.key("variables"), .key(variable.name)]
                let program = try Self.compile(variable.expression, declarations, expecting: nil, policy: policy.id, path: path)
                declarations.declare(variable.name, as: program.resultType)
                variables.append((variable.name, program))
            }
            var rules: [(rule: PolicyRule, program: CELProgram)] = []
            for (index, rule) in policy.rules.enumerated() {
                let path: [PolicyPathComponent] = [.key("rules"), .index(index), .key("when")]
                rules.append((rule, try Self.compile(rule.when, declarations, expecting: .bool, policy: policy.id, path: path)))
            }
            compiled.append(CompiledPolicy(policy: policy, inputSlots: inputs.slotIndexes(of: policy.inputs), variables: variables, rules: rules))
        }
        self.policies = compiled
        self.inputs = inputs
    }

    public init(_ policies: [Policy]) throws(PolicyError) {
        try self.init(PolicyBundle(policies))
    }

    /// What the policy's expressions may refer to before its variables: its inputs with their
    /// declared types, and `name_distance` over its lists (each list indexed once, here).
    static func declarations(_ policy: Policy) -> CELDeclarations {
        var indexes: [String: NameScreeningIndex] = [:]
        for list in policy.lists { indexes[list.name] = NameScreeningIndex(entries: list.entries) }
        var declarations = CELDeclarations(functions: [PolicyFunctions.nameDistance(lists: indexes)])
        for input in policy.inputs { declarations.declare(input.name, as: checkedType(input.type)) }
        return declarations
    }

    static func checkedType(_ type: PolicyInputType) -> CELCheckedType {
        switch type {
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bool: .bool
        case .bytes: .bytes
        case .list: .list
        case .map: .map
        }
    }

    private static func compile(
        _ source: String, _ declarations: CELDeclarations, expecting: CELCheckedType?, policy: String, path: [PolicyPathComponent]
    ) throws(PolicyError) -> CELProgram {
        guard source.utf8.count <= PolicyLimits.expressionBytesMax else {
            throw PolicyError(policy: policy, path: path, "expression longer than \(PolicyLimits.expressionBytesMax) bytes")
        }
        do {
            return try CELProgram(source, declarations: declarations, expecting: expecting)
        } catch {
            throw PolicyError(policy: policy, path: path, error.message, expressionPosition: error.position)
        }
    }
}
