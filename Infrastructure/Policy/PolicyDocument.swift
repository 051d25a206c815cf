import Domain

/// A policy file's YAML tree read into a `Policy` (docs/policies.md §2). Only the shape is
/// checked here (keys, types, required values); content and limits are the Domain's
/// (`PolicyBundle`, `CompiledBundle`), whose errors `PolicyErrorLocator` brings back here.
struct PolicyDocument {
    static let keys = ["policy", "version", "status", "owner", "refs", "inputs", "lists", "variables", "rules", "thresholds"]
    static let requiredKeys = ["policy", "version", "status", "owner", "rules"]
    static let ruleKeys = ["id", "when", "score", "force", "reason"]
    static let ruleRequiredKeys = ["id", "when", "score", "reason"]
    static let thresholdKeys = ["review", "block", "decline"]
    static let inputKeys = ["type", "default"]

    let reader: YAMLFieldReader
    /// Reads a name list named by the scalar at `path` (CSV, `NameListCSV`).
    let readList: (_ name: String, _ file: YAMLScalar) throws(PolicyFileError) -> PolicyNameList

    func policy(_ root: YAMLNode) throws(PolicyFileError) -> Policy {
        let fields = try reader.fields(root, [], known: Self.keys, required: Self.requiredKeys, what: "a policy")
        let refs = try fields["refs"].map { node throws(PolicyFileError) in try texts(node, [.key("refs")]) } ?? []
        let inputs = try fields["inputs"].map { node throws(PolicyFileError) in try self.inputs(node) } ?? []
        let lists = try fields["lists"].map { node throws(PolicyFileError) in try self.lists(node) } ?? []
        let variables = try fields["variables"].map { node throws(PolicyFileError) in try self.variables(node) } ?? []
        let thresholds = try fields["thresholds"].map { node throws(PolicyFileError) in try self.thresholds(node) } ?? PolicyThresholds()
        guard let status = fields["status"], let rules = fields["rules"] else { preconditionFailure("required keys were checked") }
        return Policy(
            id: try requiredText(fields, "policy"), version: try requiredText(fields, "version"),
            status: try reader.choice(status, [.key("status")], as: PolicyStatus.self),
            owner: try requiredText(fields, "owner"), refs: refs, inputs: inputs, variables: variables,
            rules: try self.rules(rules), thresholds: thresholds, lists: lists
        )
    }

    private func requiredText(_ fields: YAMLFields, _ key: String) throws(PolicyFileError) -> String {
        guard let node = fields[key] else { preconditionFailure("required keys were checked") }
        return try reader.text(node, [.key(key)])
    }

    private func texts(_ node: YAMLNode, _ path: [PolicyPathComponent]) throws(PolicyFileError) -> [String] {
        var texts: [String] = []
        for (index, element) in try reader.sequence(node, path, what: "a list of text").enumerated() {
            texts.append(try reader.text(element, path + [.index(index)]))
        }
        return texts
    }

    /// `name: type` or `name: {type: t, default: v}`.
    private func inputs(_ node: YAMLNode) throws(PolicyFileError) -> [PolicyInput] {
        var inputs: [PolicyInput] = []
        for pair in try reader.pairs(node, [.key("inputs")], what: "inputs, name: type") {
            let path: [PolicyPathComponent] = [.key("inputs"), .key(pair.key.text)]
            if case .mapping = pair.value {
                let fields = try reader.fields(pair.value, path, known: Self.inputKeys, required: ["type"], what: "an input")
                guard let type = fields["type"] else { preconditionFailure("required keys were checked") }
                let defaultValue = try fields["default"].map { node throws(PolicyFileError) in try reader.json(node, path + [.key("default")]) }
                inputs.append(PolicyInput(
                    name: pair.key.text, type: try reader.choice(type, path + [.key("type")], as: PolicyInputType.self),
                    defaultValue: defaultValue
                ))
            } else {
                inputs.append(PolicyInput(name: pair.key.text, type: try reader.choice(pair.value, path, as: PolicyInputType.self)))
            }
        }
        return inputs
    }

    private func lists(_ node: YAMLNode) throws(PolicyFileError) -> [PolicyNameList] {
        var lists: [PolicyNameList] = []
        for pair in try reader.pairs(node, [.key("lists")], what: "lists, name: data file") {
            let file = try reader.scalar(pair.value, [.key("lists"), .key(pair.key.text)], what: "the path of a CSV file")
            lists.append(try readList(pair.key.text, file))
        }
        return lists
    }

    private func variables(_ node: YAMLNode) throws(PolicyFileError) -> [PolicyVariable] {
        var variables: [PolicyVariable] = []
        for pair in try reader.pairs(node, [.key("variables")], what: "variables, name: expression") {
            let expression = try reader.text(pair.value, [.key("variables"), .key(pair.key.text)], what: "a CEL expression")
            variables.append(PolicyVariable(name: pair.key.text, expression: expression))
        }
        return variables
    }

    private func rules(_ node: YAMLNode) throws(PolicyFileError) -> [PolicyRule] {
        var rules: [PolicyRule] = []
        for (index, element) in try reader.sequence(node, [.key("rules")], what: "a list of rules").enumerated() {
            let path: [PolicyPathComponent] = [.key("rules"), .index(index)]
            let fields = try reader.fields(element, path, known: Self.ruleKeys, required: Self.ruleRequiredKeys, what: "a rule")
            guard let id = fields["id"], let when = fields["when"], let score = fields["score"], let reason = fields["reason"] else {
                preconditionFailure("required keys were checked")
            }
            let force = try fields["force"].map { node throws(PolicyFileError) in try reader.choice(node, path + [.key("force")], as: PolicyOutcome.self) }
            rules.append(PolicyRule(
                id: try reader.text(id, path + [.key("id")]), when: try reader.text(when, path + [.key("when")], what: "a CEL expression"),
                score: try reader.integer(score, path + [.key("score")]), force: force,
                reason: try reader.text(reason, path + [.key("reason")])
            ))
        }
        return rules
    }

    private func thresholds(_ node: YAMLNode) throws(PolicyFileError) -> PolicyThresholds {
        let fields = try reader.fields(node, [.key("thresholds")], known: Self.thresholdKeys, required: [], what: "thresholds")
        func value(_ key: String) throws(PolicyFileError) -> Int? {
            try fields[key].map { node throws(PolicyFileError) in try reader.integer(node, [.key("thresholds"), .key(key)]) }
        }
        return PolicyThresholds(review: try value("review"), block: try value("block"), decline: try value("decline"))
    }
}
