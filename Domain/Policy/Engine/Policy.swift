/// A decision's outcome, in rising priority: the highest one reached wins.
public enum PolicyOutcome: String, Sendable, Hashable, CaseIterable, Comparable {
    case approve, review, block, decline

    private var rank: Int {
        switch self {
        case .approve: 0
        case .review: 1
        case .block: 2
        case .decline: 3
        }
    }

    public static func < (lhs: PolicyOutcome, rhs: PolicyOutcome) -> Bool { lhs.rank < rhs.rank }
}

/// A policy's life cycle. Only `active` policies change a decision; `shadow` ones are evaluated
/// and traced but never counted; `draft` and `retired` ones are not evaluated at all.
public enum PolicyStatus: String, Sendable, Hashable, CaseIterable {
    case draft, shadow, active, retired

    public var isEvaluated: Bool { self == .shadow || self == .active }
}

/// The declared type of an input. A value of another type is not bound (docs/policies.md).
public enum PolicyInputType: String, Sendable, Hashable, CaseIterable {
    case int, uint, double, string, bool, bytes, list, map
}

/// One declared input: a dotted path into the decision's input (`txn.amount_minor`). An input
/// with a default binds it when the decision's input lacks the value (or holds `null`); one
/// without is then left unbound, so the rules that use it fail safe.
public struct PolicyInput: Sendable, Hashable {
    public let name: String
    public let type: PolicyInputType
    /// Must be of `type` (checked by `PolicyBundle`).
    public let defaultValue: CanonicalJSON?
    public init(name: String, type: PolicyInputType, defaultValue: CanonicalJSON? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
    }
}

/// A named list of names that a policy screens against (`name_distance(name, "list")`), loaded
/// from a file under `policies/data/`. Its entries are part of the bundle and of its hash, so a
/// decision replays against exactly the list it was made with.
public struct PolicyNameList: Sendable, Hashable {
    /// How the policy's expressions name the list.
    public let name: String
    /// The file it was read from, relative to the bundle's folder, as the policy wrote it.
    public let source: String
    public let entries: [NameListEntry]
    public init(name: String, source: String, entries: [NameListEntry]) {
        self.name = name
        self.source = source
        self.entries = entries
    }
}

/// One listed party: the list's own id for it and one name (an alias is an entry of its own,
/// with the same id).
public struct NameListEntry: Sendable, Hashable {
    public let id: String
    public let name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// A named CEL expression, evaluated in declaration order before the rules.
public struct PolicyVariable: Sendable, Hashable {
    public let name: String
    public let expression: String
    public init(name: String, expression: String) {
        self.name = name
        self.expression = expression
    }
}

/// A rule: when `when` is true it adds `score` and, with `force`, lifts the outcome to at least that.
public struct PolicyRule: Sendable, Hashable {
    public let id: String
    public let when: String
    public let score: Int
    public let force: PolicyOutcome?
    public let reason: String
    public init(id: String, when: String, score: Int, force: PolicyOutcome? = nil, reason: String) {
        self.id = id
        self.when = when
        self.score = score
        self.force = force
        self.reason = reason
    }
}

/// Score thresholds of one policy: the highest outcome whose threshold the policy's summed score
/// reaches. A missing threshold is never reached.
public struct PolicyThresholds: Sendable, Hashable {
    public let review: Int?
    public let block: Int?
    public let decline: Int?
    public init(review: Int? = nil, block: Int? = nil, decline: Int? = nil) {
        self.review = review
        self.block = block
        self.decline = decline
    }

    public func outcome(forScore score: Int) -> PolicyOutcome {
        if let decline, score >= decline { return .decline }
        if let block, score >= block { return .block }
        if let review, score >= review { return .review }
        return .approve
    }
}

/// One policy, as written by a compliance officer (docs/policies.md).
public struct Policy: Sendable, Hashable {
    public let id: String
    public let version: String
    public let status: PolicyStatus
    public let owner: String
    public let refs: [String]
    public let inputs: [PolicyInput]
    public let variables: [PolicyVariable]
    public let rules: [PolicyRule]
    public let thresholds: PolicyThresholds
    public let lists: [PolicyNameList]

    public init(
        id: String, version: String, status: PolicyStatus, owner: String, refs: [String], inputs: [PolicyInput],
        variables: [PolicyVariable], rules: [PolicyRule], thresholds: PolicyThresholds, lists: [PolicyNameList] = []
    ) {
        self.id = id
        self.version = version
        self.status = status
        self.owner = owner
        self.refs = refs
        self.inputs = inputs
        self.variables = variables
        self.rules = rules
        self.thresholds = thresholds
        self.lists = lists
    }
}

/// Every limit of a policy bundle, unit last.
public enum PolicyLimits {
    public static let policiesPerBundleMax = 256
    public static let rulesPerPolicyMax = 256
    public static let variablesPerPolicyMax = 64
    public static let inputsPerPolicyMax = 128
    public static let refsPerPolicyMax = 32
    /// Ids, versions, owners, input and variable names.
    public static let nameBytesMax = 128
    public static let reasonBytesMax = 1_024
    /// Each `when` and variable expression: the CEL compile-time limit.
    public static let expressionBytesMax = CELLimits.expressionBytesMax
    /// The magnitude of one rule's score and of each threshold.
    public static let scoreMagnitudeMax = 1_000_000
    public static let listsPerPolicyMax = 8
    /// Entries of one name list (aliases count as entries).
    public static let entriesPerListMax = 100_000
    /// One list entry's name, and its id.
    public static let listNameBytesMax = 256
    /// A default input value, as canonical JSON.
    public static let defaultValueBytesMax = 4_096
}
