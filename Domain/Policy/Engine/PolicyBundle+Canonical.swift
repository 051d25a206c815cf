/// The bundle hash is SHA-256 over the RFC 8785 (JCS) bytes of this value:
///
///     {"policies": [ <policy>, … sorted by id ]}
///     <policy> = {"id", "version", "status", "owner", "refs": [..] (file order),
///                 "inputs": {name: type, or {"type", "default"} when it has a default},
///                 "lists": [{"name", "source", "entries": [[id, name], …] (file order)}] (by name),
///                 "variables": [{"name", "expression"}] (file order),
///                 "rules": [{"id", "when", "score", "force" (only when set), "reason"}] (file order),
///                 "thresholds": {"review", "block", "decline"} (only those set)}
///
/// Expressions are hashed as written (after YAML unquoting): whitespace inside an expression
/// counts, the file's layout, comments and key order do not.
extension PolicyBundle {
    public var canonicalJSON: CanonicalJSON {
        .object(.init(["policies": .array(policies.map(\.canonicalJSON))]))
    }
}

extension Policy {
    public var canonicalJSON: CanonicalJSON {
        var inputs: [String: CanonicalJSON] = [:]
        for input in self.inputs {
            if let value = input.defaultValue {
                inputs[input.name] = .object(.init(["type": .string(input.type.rawValue), "default": value]))
            } else {
                inputs[input.name] = .string(input.type.rawValue)
            }
        }
        var thresholds: [String: CanonicalJSON] = [:]
        if let review = self.thresholds.review { thresholds["review"] = Self.integer(review) }
        if let block = self.thresholds.block { thresholds["block"] = Self.integer(block) }
        if let decline = self.thresholds.decline { thresholds["decline"] = Self.integer(decline) }
        return .object(.init([
            "id": .string(id), "version": .string(version), "status": .string(status.rawValue), "owner": .string(owner),
            "refs": .array(refs.map { .string($0) }),
            "inputs": .object(.init(inputs)),
            "lists": .array(lists.sorted { $0.name < $1.name }.map { list in
                .object(.init([
                    "name": .string(list.name), "source": .string(list.source),
                    "entries": .array(list.entries.map { .array([.string($0.id), .string($0.name)]) }),
                ]))
            }),
            "variables": .array(variables.map { .object(.init(["name": .string($0.name), "expression": .string($0.expression)])) }),
            "rules": .array(rules.map(\.canonicalJSON)),
            "thresholds": .object(.init(thresholds)),
        ]))
    }

    /// Scores and thresholds are validated to ±`PolicyLimits.scoreMagnitudeMax`, well inside JSON's safe range.
    static func integer(_ value: Int) -> CanonicalJSON {
        guard let json = CanonicalJSON(exactly: value) else { preconditionFailure("validated score out of range") }
        return json
    }
}

extension PolicyRule {
    var canonicalJSON: CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "id": .string(id), "when": .string(when), "score": Policy.integer(score), "reason": .string(reason),
        ]
        if let force { members["force"] = .string(force.rawValue) }
        return .object(.init(members))
    }
}
