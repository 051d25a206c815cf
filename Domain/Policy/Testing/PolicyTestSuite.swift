/// Where something is in a policy or test file: 1-based line and column (columns count Unicode
/// scalars), as editors and compilers print them.
public struct PolicySourceLocation: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// What a test case expects of its policy's decision. Each part that is given is compared; at
/// least one is given.
public struct PolicyExpectation: Sendable, Hashable {
    /// The policy's own outcome (as if it were active, whatever its status).
    public let outcome: PolicyOutcome?
    /// The policy's summed score.
    public let score: Int?
    /// The ids of the policy's rules that hit, as a set.
    public let fired: [String]?
    public init(outcome: PolicyOutcome?, score: Int?, fired: [String]?) {
        precondition(outcome != nil || score != nil || fired != nil, "an expectation expects something")
        self.outcome = outcome
        self.score = score
        self.fired = fired
    }
}

/// One named case: an input (the decision's input document: `txn`, `features`) and what it
/// should give.
public struct PolicyTestCase: Sendable, Hashable {
    public let name: String
    public let input: CanonicalJSON
    public let expect: PolicyExpectation
    /// Where the case is written (a line of a JSON-lines table, for a tabled case).
    public let location: PolicySourceLocation
    public init(name: String, input: CanonicalJSON, expect: PolicyExpectation, location: PolicySourceLocation) {
        self.name = name
        self.input = input
        self.expect = expect
        self.location = location
    }
}

/// The cases of one `*.test.yaml` file, all about one policy of the bundle.
public struct PolicyTestSuite: Sendable, Hashable {
    public let file: String
    /// The id of the policy under test.
    public let policy: String
    public let cases: [PolicyTestCase]
    public init(file: String, policy: String, cases: [PolicyTestCase]) {
        self.file = file
        self.policy = policy
        self.cases = cases
    }
}

/// Limits of test files, unit last.
public enum PolicyTestLimits {
    public static let casesPerSuiteMax = 10_000
    public static let caseNameBytesMax = 256
    /// One case's input, as canonical JSON.
    public static let inputBytesMax = 65_535
}
