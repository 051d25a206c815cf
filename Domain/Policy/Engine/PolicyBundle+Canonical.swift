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

/// Reading a bundle back from its canonical form: what the database stores at activation, so
/// that any decision can be replayed against the bundle it was made with.
extension PolicyBundle {
    /// Throws `PolicyError` for anything `canonicalJSON` does not write, and for content the
    /// bundle's own validation refuses.
    public init(canonicalJSON json: CanonicalJSON) throws(PolicyError) {
        guard case .object(let root) = json, root.count == 1, case .array(let items)? = root["policies"] else {
            throw PolicyError(policy: nil, path: [], "a stored bundle is {\"policies\": [...]}")
        }
        var policies: [Policy] = []
        for item in items { policies.append(try Policy(canonicalJSON: item)) }
        try self.init(policies)
        guard canonicalJSON == json else { throw PolicyError(policy: nil, path: [], "the stored bundle is not in canonical order") }
    }
}

extension Policy {
    init(canonicalJSON json: CanonicalJSON) throws(PolicyError) {
        var reader = CanonicalReader(json, policy: nil)
        let id = try reader.string("id")
        reader.policy = id
        let inputs = try reader.object("inputs").map { name, value throws(PolicyError) -> PolicyInput in
            switch value {
            case .string(let type):
                guard let type = PolicyInputType(rawValue: type) else { throw reader.fail("inputs", "unknown type") }
                return PolicyInput(name: name, type: type)
            case .object(let declared):
                guard declared.count == 2, case .string(let type)? = declared["type"], let type = PolicyInputType(rawValue: type),
                      let value = declared["default"]
                else { throw reader.fail("inputs", "malformed input \(name)") }
                return PolicyInput(name: name, type: type, defaultValue: value)
            default: throw reader.fail("inputs", "malformed input \(name)")
            }
        }
        let lists = try reader.array("lists").map { item throws(PolicyError) -> PolicyNameList in
            var list = CanonicalReader(item, policy: id)
            let entries = try list.array("entries").map { entry throws(PolicyError) -> NameListEntry in
                guard case .array(let pair) = entry, pair.count == 2, case .string(let entryID) = pair[0], case .string(let name) = pair[1]
                else { throw reader.fail("lists", "malformed entry") }
                return NameListEntry(id: entryID, name: name)
            }
            let made = PolicyNameList(name: try list.string("name"), source: try list.string("source"), entries: entries)
            try list.end("lists")
            return made
        }
        let variables = try reader.array("variables").map { item throws(PolicyError) -> PolicyVariable in
            var variable = CanonicalReader(item, policy: id)
            let made = PolicyVariable(name: try variable.string("name"), expression: try variable.string("expression"))
            try variable.end("variables")
            return made
        }
        let rules = try reader.array("rules").map { item throws(PolicyError) -> PolicyRule in
            var rule = CanonicalReader(item, policy: id)
            let force = try rule.optionalString("force").map { text throws(PolicyError) -> PolicyOutcome in
                guard let outcome = PolicyOutcome(rawValue: text) else { throw rule.fail("force", "unknown outcome") }
                return outcome
            }
            let made = PolicyRule(
                id: try rule.string("id"), when: try rule.string("when"), score: try rule.integer("score"), force: force,
                reason: try rule.string("reason")
            )
            try rule.end("rules")
            return made
        }
        var thresholds = CanonicalReader(try reader.value("thresholds"), policy: id)
        let limits = PolicyThresholds(
            review: try thresholds.optionalInteger("review"), block: try thresholds.optionalInteger("block"),
            decline: try thresholds.optionalInteger("decline")
        )
        try thresholds.end("thresholds")
        guard let status = PolicyStatus(rawValue: try reader.string("status")) else { throw reader.fail("status", "unknown status") }
        self.init(
            id: id, version: try reader.string("version"), status: status, owner: try reader.string("owner"),
            refs: try reader.array("refs").map { ref throws(PolicyError) -> String in
                guard case .string(let text) = ref else { throw reader.fail("refs", "a ref is a string") }
                return text
            },
            inputs: inputs, variables: variables, rules: rules, thresholds: limits, lists: lists
        )
        try reader.end("policy")
    }
}

/// Reads the members of one canonical object, and checks at the end that none was left unread.
private struct CanonicalReader {
    let object: CanonicalJSON.Object?
    var policy: String?
    private var read = 0

    init(_ json: CanonicalJSON, policy: String?) {
        if case .object(let object) = json { self.object = object } else { self.object = nil }
        self.policy = policy
    }

    func fail(_ key: String, _ message: String) -> PolicyError {
        PolicyError(policy: policy, path: [.key(key)], "stored bundle: \(message)")
    }

    mutating func value(_ key: String) throws(PolicyError) -> CanonicalJSON {
        guard let value = try optionalValue(key) else { throw fail(key, "missing") }
        return value
    }

    mutating func optionalValue(_ key: String) throws(PolicyError) -> CanonicalJSON? {
        guard let object else { throw fail(key, "not an object") }
        guard let value = object[key] else { return nil }
        read += 1
        return value
    }

    mutating func string(_ key: String) throws(PolicyError) -> String {
        guard case .string(let text) = try value(key) else { throw fail(key, "not a string") }
        return text
    }

    mutating func optionalString(_ key: String) throws(PolicyError) -> String? {
        guard let value = try optionalValue(key) else { return nil }
        guard case .string(let text) = value else { throw fail(key, "not a string") }
        return text
    }

    mutating func integer(_ key: String) throws(PolicyError) -> Int {
        guard let value = try optionalInteger(key) else { throw fail(key, "missing") }
        return value
    }

    mutating func optionalInteger(_ key: String) throws(PolicyError) -> Int? {
        guard let value = try optionalValue(key) else { return nil }
        guard case .integer(let integer) = value else { throw fail(key, "not an integer") }
        return Int(integer.value)
    }

    mutating func array(_ key: String) throws(PolicyError) -> [CanonicalJSON] {
        guard case .array(let items) = try value(key) else { throw fail(key, "not an array") }
        return items
    }

    mutating func object(_ key: String) throws(PolicyError) -> [(String, CanonicalJSON)] {
        guard case .object(let members) = try value(key) else { throw fail(key, "not an object") }
        return members.members.map { ($0.name, $0.value) }
    }

    func end(_ key: String) throws(PolicyError) {
        guard let object, object.count == read else { throw fail(key, "unexpected members") }
    }
}
