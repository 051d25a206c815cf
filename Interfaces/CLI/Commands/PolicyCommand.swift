import ArgumentParser
import Domain
import Foundation
import PolicyAdapters
import PostgresAdapters
import SystemAdapters

/// `custos policy …`: check, test, evaluate, activate and replay policy bundles (docs/policies.md §6).
/// Exit codes: 0 when everything holds; 1 when a test fails or a replay differs; 2 on a file error,
/// printed as `file:line:col: message`, the offending line and a caret.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, test, evaluate, activate and replay policy bundles; run the CEL conformance cases.",
        subcommands: [Check.self, Test.self, Eval.self, Activate.self, Replay.self, Conformance.self]
    )

    static let operatorContext = AuditContext(actor: "operator:cli")

    /// Reads the bundle in `folder`, or prints the file error to standard error and exits 2.
    static func load(_ folder: String) throws -> LoadedBundle {
        do {
            return try PolicyFolder.load(folder)
        } catch {
            throw fileError(error)
        }
    }

    static func loadTests(_ folder: String, for bundle: LoadedBundle) throws -> [PolicyTestSuite] {
        do {
            return try PolicyFolder.loadTests(folder, for: bundle)
        } catch {
            throw fileError(error)
        }
    }

    /// The bundle in `folder`, once its tests pass: what `activate` and `serve --policies` put in force.
    static func loadTested(_ folder: String) throws -> CompiledBundle {
        let loaded = try load(folder)
        let report = PolicyTestRunner(bundle: loaded.compiled).run(try loadTests(folder, for: loaded))
        guard report.failed == 0 else {
            print(report.pretty)
            FileHandle.standardError.write(Data("not activated: \(report.failed) of the bundle's test cases fail\n".utf8))
            throw ExitCode(1)
        }
        return loaded.compiled
    }

    static func fileError(_ error: PolicyFileError) -> ExitCode {
        FileHandle.standardError.write(Data((error.rendered + "\n").utf8))
        return ExitCode(2)
    }

    struct Folder: ParsableArguments {
        @Argument(help: "The bundle's folder (env CUSTOS_POLICIES_DIR, default ./policies).")
        var folder: String?

        func path() throws -> String {
            if let folder { return folder }
            return try Configuration.fromEnvironment().policiesDirectory
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse and type-check every policy, list and test file of a bundle; exit 2 on the first error."
        )
        @OptionGroup var folder: Folder

        func run() throws {
            let path = try folder.path()
            let loaded = try PolicyCommand.load(path)
            let suites = try PolicyCommand.loadTests(path, for: loaded)
            let policies = loaded.bundle.policies
            let rules = policies.reduce(0) { $0 + $1.rules.count }
            let cases = suites.reduce(0) { $0 + $1.cases.count }
            print("\(path): \(policies.count) policies, \(rules) rules, \(suites.count) test files with \(cases) cases; "
                + "bundle sha256 \(loaded.compiled.bundleHash)")
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a bundle's *.test.yaml cases; exit 0 when all pass, 1 when one fails, 2 on a file error."
        )
        @OptionGroup var folder: Folder

        @Option(name: .customLong("run"), help: "Only the cases whose 'file/name' matches this regular expression.")
        var runPattern: String?

        @Option(name: .long, help: "pretty (default) or json.")
        var format: String = "pretty"

        @Flag(name: .long, help: "Report rule and branch coverage.")
        var coverage = false

        @Option(name: .long, help: "Fail (exit 1) when rule or branch coverage is under this percentage; implies --coverage.")
        var threshold: Double?

        func validate() throws {
            guard ["pretty", "json"].contains(format) else { throw ValidationError("--format must be pretty or json") }
            if let threshold, !(0...100).contains(threshold) { throw ValidationError("--threshold must be from 0 to 100") }
            if let runPattern {
                guard runPattern.utf8.count <= 1_024 else { throw ValidationError("--run is at most 1024 bytes") }
                guard (try? NSRegularExpression(pattern: runPattern)) != nil else {
                    throw ValidationError("--run is not a valid regular expression")
                }
            }
        }

        func run() throws {
            let path = try folder.path()
            let loaded = try PolicyCommand.load(path)
            let suites = try PolicyCommand.loadTests(path, for: loaded)
            let filter = try runPattern.map { pattern -> @Sendable (String) -> Bool in
                let regex = try NSRegularExpression(pattern: pattern)
                return { name in regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil }
            }
            let report = PolicyTestRunner(bundle: loaded.compiled).run(suites, filter: filter, coverage: coverage || threshold != nil)
            print(format == "json" ? report.json.description : report.pretty)
            if report.failed > 0 { throw ExitCode(1) }
            if report.cases.isEmpty {
                FileHandle.standardError.write(Data("no test case ran\(runPattern.map { " (--run \($0))" } ?? "")\n".utf8))
                throw ExitCode(1)
            }
            if let threshold, !report.meets(thresholdPercent: threshold) {
                FileHandle.standardError.write(Data("coverage is under --threshold \(threshold)%\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide one input document (docs/policies.md §4) with a bundle and print the decision."
        )
        @Option(name: .long, help: "A JSON file holding the input document: {\"txn\": {…}, \"features\": {…}}.")
        var input: String

        @OptionGroup var folder: Folder

        @Flag(name: .long, help: "Print every rule's result and reason, policy by policy.")
        var explain = false

        func run() throws {
            let loaded = try PolicyCommand.load(try folder.path())
            let document: CanonicalJSON
            do {
                document = try PolicyFolder.loadInput(input)
            } catch {
                throw PolicyCommand.fileError(error)
            }
            // No salt: the digest printed is of the input alone, for comparing runs.
            let decision = loaded.compiled.evaluate(document, decisionID: UUID())
            print(DecisionText.render(decision, explain: explain))
        }
    }

    struct Conformance: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run cel-spec conformance files (../shared/conformance/cel/*.json) and print N passed, M failed, K skipped."
        )
        @Argument(help: "Conformance files in protobuf's JSON mapping.")
        var files: [String]

        @Option(name: .long, help: "The skip file: case id, a tab, the reason (default policies/cel-conformance-skips.txt).")
        var skips = "policies/cel-conformance-skips.txt"

        @Flag(name: .long, help: "List every failing case.")
        var verbose = false

        func run() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one conformance file") }
            let report: CELConformance.Report
            do {
                let skipped = FileManager.default.fileExists(atPath: skips) ? try CELConformance.skips(in: skips) : [:]
                report = try CELConformance.run(files: files, skips: skipped)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            }
            if verbose { for failure in report.failures { print("FAIL \(failure)") } }
            print(report.summary)
            if report.failed > 0 { throw ExitCode(1) }
        }
    }
}

/// A decision in words, for `custos policy eval` and `replay`.
enum DecisionText {
    static func render(_ decision: Decision, explain: Bool) -> String {
        var lines = ["outcome \(decision.outcome.rawValue), score \(decision.score)", "bundle \(decision.bundleHash)",
                     "input digest \(decision.inputDigest)"]
        for policy in decision.policies {
            lines.append("policy \(policy.policy) \(policy.version) (\(policy.status.rawValue)): \(policy.outcome.rawValue), score \(policy.score)")
            for line in decision.trace where line.policy == policy.policy && (explain || line.result != .noHit) {
                let mark = switch line.result {
                case .hit: "HIT  "
                case .noHit: "     "
                case .error: "ERROR"
                }
                lines.append("  \(mark) \(line.rule) +\(line.scoreContribution): \(line.reason)"
                    + (line.shadow ? " (shadow)" : "") + (explain && line.result != .hit && line.result != .noHit ? " [\(line.result)]" : ""))
            }
        }
        for problem in decision.inputProblems { lines.append("input: \(problem)") }
        return lines.joined(separator: "\n")
    }
}

extension PolicyCommand {
    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a bundle the active one, after its tests pass: stored under its hash, audited in the system log."
        )
        @OptionGroup var folder: Folder
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let compiled = try PolicyCommand.loadTested(try folder.path())
            let result = try await KeysCommand.withDatabase(options) { database in
                let result = try await ActivatePolicyBundle(store: database.bundles, keeper: database.keeper, clock: SystemClock())(
                    compiled, context: PolicyCommand.operatorContext
                )
                if case .activated = result { await database.signLogs(tenant: nil) }
                return result
            }
            switch result {
            case .activated(let activation, let previous):
                print("activated bundle \(activation.hash) (\(compiled.bundle.policies.count) policies, tests pass)"
                    + (previous.map { "; it replaces \($0)" } ?? ""))
            case .alreadyActive(let activation):
                print("bundle \(activation.hash) is already the active one (since \(activation.activatedAt.rfc3339)); nothing changed")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a transaction's recorded decision against its stored bundle; exit 0 when it comes out the same, 1 when not."
        )
        @OptionGroup var tenant: KeysCommand.TenantOption
        @Option(name: .long, help: "The transaction (a UUID).") var transaction: String
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let tenant = try tenant.id()
            guard let id = TransactionID(string: transaction) else { throw ValidationError("--transaction must be a UUID") }
            let replay = try await KeysCommand.withKeys(options) { database, _, fields in
                try await ReplayDecision(repository: database.repository, keeper: database.keeper, fields: fields, bundles: database.bundles)(
                    of: id, tenant: tenant, context: PolicyCommand.operatorContext
                )
            }
            print("recorded: \(replay.recorded.decision.outcome.rawValue), score \(replay.recorded.decision.score), "
                + "bundle \(replay.recorded.decision.bundleHash)")
            print(DecisionText.render(replay.replayed, explain: false))
            if replay.matches {
                print("replay matches the recorded decision")
            } else {
                for difference in replay.differences { print("DIFFERS \(difference)") }
                throw ExitCode(1)
            }
        }
    }
}
