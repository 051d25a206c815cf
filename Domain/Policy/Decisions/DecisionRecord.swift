import Foundation

/// A decision as recorded with its transaction (docs/policies.md §7): the engine's decision and
/// the history features it was made on. Stored as the RFC 8785 bytes of `canonicalJSON`; the
/// audit entry carries `auditDetails` (a summary, and `sha256` of the stored record, which binds
/// the full record, trace and salt included, to the log).
public struct DecisionRecord: Sendable, Hashable {
    public let decision: Decision
    public let features: HistoryFeatures

    /// A stored record is at most this large (a 256-rule bundle traced in full fits).
    public static let encodedBytesMax = 1_048_576

    public init(decision: Decision, features: HistoryFeatures) {
        self.decision = decision
        self.features = features
    }

    public var canonicalJSON: CanonicalJSON {
        let d = decision
        return .object(.init([
            "decision_id": .string(d.id.uuidString.lowercased()),
            "bundle_hash": .string(d.bundleHash),
            "input_digest": .string(d.inputDigest),
            "input_salt": .string(Data(d.inputSalt).base64EncodedString()),
            "outcome": .string(d.outcome.rawValue),
            "score": Self.integer(d.score),
            "policies": .array(d.policies.map { p in
                .object(.init([
                    "policy": .string(p.policy), "version": .string(p.version), "status": .string(p.status.rawValue),
                    "score": Self.integer(p.score), "outcome": .string(p.outcome.rawValue),
                ]))
            }),
            "trace": .array(d.trace.map(Self.json)),
            "input_problems": .array(d.inputProblems.map { .string($0) }),
            "features": features.canonicalJSON,
        ]))
    }

    /// SHA-256 (hex) of the stored bytes.
    public var sha256: String { SHA256.hash(canonicalJSON.canonicalBytes).hexString }

    /// What the `transaction.recorded` entry says of the decision: no salt, no input.
    public var auditDetails: [String: CanonicalJSON] {
        let d = decision
        return [
            "decision_id": .string(d.id.uuidString.lowercased()),
            "bundle_hash": .string(d.bundleHash),
            "input_digest": .string(d.inputDigest),
            "decision_sha256": .string(sha256),
            "outcome": .string(d.outcome.rawValue),
            "score": Self.integer(d.score),
            "policies": .array(d.policies.map { .array([.string($0.policy), .string($0.version), .string($0.outcome.rawValue)]) }),
            "fired": .array(d.trace.filter { $0.result == .hit }.map { .string("\($0.policy)/\($0.rule)") }),
            "errors": .array(d.trace.filter { if case .error = $0.result { true } else { false } }.map { .string("\($0.policy)/\($0.rule)") }),
        ]
    }

    private static func json(_ line: RuleTrace) -> CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "policy": .string(line.policy), "rule": .string(line.rule), "reason": .string(line.reason),
            "score": integer(line.scoreContribution), "shadow": .bool(line.shadow),
        ]
        switch line.result {
        case .hit: members["result"] = "hit"
        case .noHit: members["result"] = "no_hit"
        case .error(let message):
            members["result"] = "error"
            members["error"] = .string(message)
        }
        return .object(.init(members))
    }

    /// Scores are bounded by the bundle's limits (256 × 256 × 1,000,000 < 2^53).
    private static func integer(_ value: Int) -> CanonicalJSON {
        guard let json = CanonicalJSON(exactly: value) else { preconditionFailure("a score within the bundle's limits") }
        return json
    }
}

/// A stored decision record that does not read back as one: the database was changed behind
/// Custos's back.
public struct DecisionRecordCorrupt: DomainError, CustomStringConvertible {
    public let reason: String
    public var slug: String { "decision-record-corrupt" }
    public var description: String { "stored decision record is corrupt: \(reason)" }
}

extension DecisionRecord {
    /// Reads the stored bytes back, checking every member; throws `DecisionRecordCorrupt`.
    public init(stored bytes: [UInt8]) throws(DecisionRecordCorrupt) {
        func fail(_ reason: String) -> DecisionRecordCorrupt { DecisionRecordCorrupt(reason: reason) }
        guard bytes.count <= Self.encodedBytesMax else { throw fail("larger than \(Self.encodedBytesMax) bytes") }
        guard let json = try? CanonicalJSON.parse(bytes, bytesMax: Self.encodedBytesMax), case .object(let o) = json else {
            throw fail("not a canonical JSON object")
        }
        guard case .string(let idText)? = o["decision_id"], let id = UUID(uuidString: idText),
              case .string(let bundleHash)? = o["bundle_hash"], case .string(let inputDigest)? = o["input_digest"],
              case .string(let saltText)? = o["input_salt"], let salt = Data(base64Encoded: saltText),
              case .string(let outcomeText)? = o["outcome"], let outcome = PolicyOutcome(rawValue: outcomeText),
              case .integer(let score)? = o["score"],
              case .array(let policiesJSON)? = o["policies"], case .array(let traceJSON)? = o["trace"],
              case .array(let problemsJSON)? = o["input_problems"],
              let featuresJSON = o["features"], let features = HistoryFeatures(canonicalJSON: featuresJSON)
        else { throw fail("a member is missing or of the wrong type") }
        var policies: [PolicyResult] = []
        for item in policiesJSON {
            guard case .object(let p) = item, case .string(let policy)? = p["policy"], case .string(let version)? = p["version"],
                  case .string(let statusText)? = p["status"], let status = PolicyStatus(rawValue: statusText),
                  case .integer(let policyScore)? = p["score"],
                  case .string(let policyOutcome)? = p["outcome"], let outcome = PolicyOutcome(rawValue: policyOutcome)
            else { throw fail("a policy result is malformed") }
            policies.append(PolicyResult(policy: policy, version: version, status: status, score: Int(policyScore.value), outcome: outcome))
        }
        var trace: [RuleTrace] = []
        for item in traceJSON {
            guard case .object(let t) = item, case .string(let policy)? = t["policy"], case .string(let rule)? = t["rule"],
                  case .string(let reason)? = t["reason"], case .integer(let contribution)? = t["score"],
                  case .bool(let shadow)? = t["shadow"], case .string(let resultText)? = t["result"]
            else { throw fail("a trace line is malformed") }
            let result: RuleResult
            switch (resultText, t["error"]) {
            case ("hit", nil): result = .hit
            case ("no_hit", nil): result = .noHit
            case ("error", .string(let message)?): result = .error(message)
            default: throw fail("a trace line's result is malformed")
            }
            trace.append(RuleTrace(policy: policy, rule: rule, result: result, reason: reason, scoreContribution: Int(contribution.value), shadow: shadow))
        }
        var problems: [String] = []
        for item in problemsJSON {
            guard case .string(let problem) = item else { throw fail("an input problem is not a string") }
            problems.append(problem)
        }
        let decision = Decision(
            id: id, bundleHash: bundleHash, inputDigest: inputDigest, inputSalt: [UInt8](salt), outcome: outcome,
            score: Int(score.value), policies: policies, trace: trace, inputProblems: problems
        )
        self.init(decision: decision, features: features)
        guard canonicalJSON.canonicalBytes == bytes else { throw fail("does not re-encode to its stored bytes") }
    }
}
