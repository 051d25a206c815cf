/// A validated set of policies with distinct ids, kept sorted by id.
public struct PolicyBundle: Sendable, Hashable {
    public let policies: [Policy]

    public init(_ policies: [Policy]) throws(PolicyError) {
        guard policies.count <= PolicyLimits.policiesPerBundleMax else {
            throw PolicyError(policy: nil, path: [], "more than \(PolicyLimits.policiesPerBundleMax) policies in the bundle")
        }
        var seen = Set<String>()
        for policy in policies {
            try PolicyValidation.validate(policy)
            guard seen.insert(policy.id).inserted else {
                throw PolicyError(policy: policy.id, path: [.key("policy")], "duplicate policy id '\(policy.id)'")
            }
        }
        self.policies = policies.sorted { $0.id < $1.id }
    }
}

/// Checks of one policy's content, apart from CEL syntax (checked when compiling).
enum PolicyValidation {
    static func validate(_ policy: Policy) throws(PolicyError) {
        func fail(_ path: [PolicyPathComponent], _ message: String) -> PolicyError {
            PolicyError(policy: policy.id, path: path, message)
        }
        try checkName(policy.id, policy: policy.id, path: [.key("policy")], pattern: .id)
        try checkName(policy.version, policy: policy.id, path: [.key("version")], pattern: .text)
        try checkName(policy.owner, policy: policy.id, path: [.key("owner")], pattern: .text)
        guard policy.refs.count <= PolicyLimits.refsPerPolicyMax else {
            throw fail([.key("refs")], "more than \(PolicyLimits.refsPerPolicyMax) refs")
        }
        for (index, ref) in policy.refs.enumerated() where ref.isEmpty || ref.utf8.count > PolicyLimits.reasonBytesMax {
            throw fail([.key("refs"), .index(index)], "a ref must be 1 to \(PolicyLimits.reasonBytesMax) bytes")
        }
        guard policy.inputs.count <= PolicyLimits.inputsPerPolicyMax else {
            throw fail([.key("inputs")], "more than \(PolicyLimits.inputsPerPolicyMax) inputs")
        }
        var names = Set<String>()
        for input in policy.inputs {
            try checkName(input.name, policy: policy.id, path: [.key("inputs"), .key(input.name)], pattern: .dottedIdentifier)
            guard names.insert(input.name).inserted else { throw fail([.key("inputs"), .key(input.name)], "duplicate input '\(input.name)'") }
            if let value = input.defaultValue {
                let path: [PolicyPathComponent] = [.key("inputs"), .key(input.name), .key("default")]
                guard value.canonicalBytes.count <= PolicyLimits.defaultValueBytesMax else {
                    throw fail(path, "a default is at most \(PolicyLimits.defaultValueBytesMax) bytes of JSON")
                }
                guard CompiledBundle.value(value, as: input.type) != nil else {
                    throw fail(path, "the default is not a value of type \(input.type.rawValue)")
                }
            }
        }
        try validateLists(policy)
        let inputRoots = Set(policy.inputs.map { String($0.name.split(separator: ".")[0]) })
        try validateVariables(policy, inputRoots: inputRoots)
        try validateRules(policy)
        try validateThresholds(policy)
    }

    private static func validateVariables(_ policy: Policy, inputRoots: Set<String>) throws(PolicyError) {
        guard policy.variables.count <= PolicyLimits.variablesPerPolicyMax else {
            throw PolicyError(policy: policy.id, path: [.key("variables")], "more than \(PolicyLimits.variablesPerPolicyMax) variables")
        }
        var names = Set<String>()
        for variable in policy.variables {
            let path: [PolicyPathComponent] = [.key("variables"), .key(variable.name)]
            try checkName(variable.name, policy: policy.id, path: path, pattern: .identifier)
            guard !inputRoots.contains(variable.name), names.insert(variable.name).inserted else {
                throw PolicyError(policy: policy.id, path: path, "variable '\(variable.name)' is already an input or variable name")
            }
        }
    }

    private static func validateLists(_ policy: Policy) throws(PolicyError) {
        guard policy.lists.count <= PolicyLimits.listsPerPolicyMax else {
            throw PolicyError(policy: policy.id, path: [.key("lists")], "more than \(PolicyLimits.listsPerPolicyMax) lists")
        }
        var names = Set<String>()
        for list in policy.lists {
            let path: [PolicyPathComponent] = [.key("lists"), .key(list.name)]
            try checkName(list.name, policy: policy.id, path: path, pattern: .identifier)
            guard names.insert(list.name).inserted else { throw PolicyError(policy: policy.id, path: path, "duplicate list '\(list.name)'") }
            try checkName(list.source, policy: policy.id, path: path, pattern: .text)
            guard list.entries.count <= PolicyLimits.entriesPerListMax else {
                throw PolicyError(policy: policy.id, path: path, "more than \(PolicyLimits.entriesPerListMax) entries in \(list.source)")
            }
            for (index, entry) in list.entries.enumerated() {
                for text in [entry.id, entry.name] where text.isEmpty || text.utf8.count > PolicyLimits.listNameBytesMax
                    || text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                {
                    throw PolicyError(
                        policy: policy.id, path: path,
                        "entry \(index + 1) of \(list.source): ids and names are 1 to \(PolicyLimits.listNameBytesMax) bytes without control characters"
                    )
                }
            }
        }
    }

    private static func validateRules(_ policy: Policy) throws(PolicyError) {
        guard !policy.rules.isEmpty else { throw PolicyError(policy: policy.id, path: [.key("rules")], "a policy needs at least one rule") }
        guard policy.rules.count <= PolicyLimits.rulesPerPolicyMax else {
            throw PolicyError(policy: policy.id, path: [.key("rules")], "more than \(PolicyLimits.rulesPerPolicyMax) rules")
        }
        var ids = Set<String>()
        for (index, rule) in policy.rules.enumerated() {
            let path: [PolicyPathComponent] = [.key("rules"), .index(index)]
            try checkName(rule.id, policy: policy.id, path: path + [.key("id")], pattern: .id)
            guard ids.insert(rule.id).inserted else {
                throw PolicyError(policy: policy.id, path: path + [.key("id")], "duplicate rule id '\(rule.id)'")
            }
            guard abs(rule.score) <= PolicyLimits.scoreMagnitudeMax else {
                throw PolicyError(policy: policy.id, path: path + [.key("score")], "score beyond ±\(PolicyLimits.scoreMagnitudeMax)")
            }
            guard !rule.reason.isEmpty, rule.reason.utf8.count <= PolicyLimits.reasonBytesMax else {
                throw PolicyError(policy: policy.id, path: path + [.key("reason")], "a reason must be 1 to \(PolicyLimits.reasonBytesMax) bytes")
            }
        }
    }

    private static func validateThresholds(_ policy: Policy) throws(PolicyError) {
        let thresholds = policy.thresholds
        let ordered = [("review", thresholds.review), ("block", thresholds.block), ("decline", thresholds.decline)]
        var previous: Int?
        for (name, value) in ordered {
            guard let value else { continue }
            let path: [PolicyPathComponent] = [.key("thresholds"), .key(name)]
            guard value > 0, value <= PolicyLimits.scoreMagnitudeMax else {
                throw PolicyError(policy: policy.id, path: path, "a threshold must be 1 to \(PolicyLimits.scoreMagnitudeMax)")
            }
            if let previous, value <= previous {
                throw PolicyError(policy: policy.id, path: path, "thresholds must rise: review < block < decline")
            }
            previous = value
        }
    }

    enum NamePattern { case id, identifier, dottedIdentifier, text }

    static func checkName(_ name: String, policy: String, path: [PolicyPathComponent], pattern: NamePattern) throws(PolicyError) {
        guard !name.isEmpty, name.utf8.count <= PolicyLimits.nameBytesMax else {
            throw PolicyError(policy: policy, path: path, "must be 1 to \(PolicyLimits.nameBytesMax) bytes")
        }
        let ok: Bool
        switch pattern {
        case .text: ok = !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
        case .id: ok = name.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        case .identifier: ok = isIdentifier(Substring(name))
        case .dottedIdentifier: ok = name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isIdentifier)
        }
        guard ok else {
            let expected = switch pattern {
            case .text: "text without control characters"
            case .id: "lower-case letters, digits, '_' and '-'"
            case .identifier: "an identifier ([A-Za-z_][A-Za-z0-9_]*)"
            case .dottedIdentifier: "identifiers joined by dots"
            }
            throw PolicyError(policy: policy, path: path, "'\(name)' is not \(expected)")
        }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isIdentifier(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }
}
