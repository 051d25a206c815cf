import ArgumentParser
import Domain
import Foundation

extension BenchCommand {
    /// `custos bench bundle`: the latency of one decision by a 50-rule bundle (5 policies of 10
    /// typical rules and a variable each), `CompiledBundle.evaluate` on one prepared input
    /// document, with the salted input digest, as `POST /v1/transactions` runs it. In the same
    /// run and rounds, the baselines: 50 evaluations of the typical rule of `custos bench cel`
    /// by the same engine (what the rules alone cost), and by hand-written Swift. Each decision is
    /// timed by the thread's CPU clock; medians and p99 over every round.
    struct Bundle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Latency of one decision by a 50-rule policy bundle on one core, beside its rules evaluated alone (use a release build)."
        )
        @Option(help: "Interleaved rounds (1 to 101).") var rounds = 9
        @Option(help: "Decisions per round (100 to 1,000,000).") var decisions = 20_000
        @Flag(help: ArgumentHelp("Measure the bundle alone (for profiling).", visibility: .hidden)) var bundleOnly = false

        static let target = 50.0  // µs, median

        func run() throws {
            guard (1...101).contains(rounds), (100...1_000_000).contains(decisions) else {
                throw ValidationError("--rounds must be 1 to 101 and --decisions 100 to 1,000,000")
            }
            let bundle = try CompiledBundle(Self.policies())
            let input = Self.input()
            let probe = bundle.evaluate(input, decisionID: UUID(), salt: Array(repeating: 1, count: Decision.saltBytes))
            guard probe.trace.count == 50, probe.trace.allSatisfy({ if case .error = $0.result { false } else { true } }) else {
                throw ValidationError("a rule of the benchmark bundle fails: \(probe.trace.filter { $0.result != .hit && $0.result != .noHit })")
            }
            let subjects = try CEL.Subjects()
            var bundleMicros: [Double] = [], celMicros: [Double] = [], swiftMicros: [Double] = []
            var sink = 0
            let salt = Array(repeating: UInt8(7), count: Decision.saltBytes)
            let id = UUID()
            for _ in 0..<rounds {
                for _ in 0..<decisions {
                    let start = Fields.threadCPUSeconds()
                    sink &+= bundle.evaluate(input, decisionID: id, salt: salt).score
                    bundleMicros.append((Fields.threadCPUSeconds() - start) * 1e6)
                }
                if bundleOnly { continue }
                for _ in 0..<decisions {
                    let start = Fields.threadCPUSeconds()
                    for _ in 0..<50 where try subjects.program.evaluate(subjects.trueBindings) == .bool(true) { sink &+= 1 }
                    celMicros.append((Fields.threadCPUSeconds() - start) * 1e6)
                }
                for _ in 0..<decisions {
                    let start = Fields.threadCPUSeconds()
                    for _ in 0..<50 where try CEL.Subjects.handWritten(subjects.trueBindings) { sink &+= 1 }
                    swiftMicros.append((Fields.threadCPUSeconds() - start) * 1e6)
                }
            }
            if bundleOnly {
                print(String(format: "bundle: decision median %.1f µs", bundleMicros.sorted()[bundleMicros.count / 2]))
                return
            }
            func percentile(_ values: [Double], _ p: Double) -> Double {
                let sorted = values.sorted()
                return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            }
            let bundleMedian = percentile(bundleMicros, 0.5), celMedian = percentile(celMicros, 0.5), swiftMedian = percentile(swiftMicros, 0.5)
            print("bundle: 5 policies, 50 rules, 5 variables; one decision with its salted input digest; \(rounds) rounds of \(decisions); thread CPU time")
            print(String(format: "bundle: decision median %.1f µs, p99 %.1f µs | %.2f× the 50 µs target", bundleMedian,
                         percentile(bundleMicros, 0.99), bundleMedian / Self.target))
            print(String(format: "bundle: 50 × the typical rule by the same engine: median %.1f µs (ratio %.2f) | by hand-written Swift: median %.1f µs (ratio %.2f)",
                         celMedian, bundleMedian / celMedian, swiftMedian, bundleMedian / swiftMedian))
            if sink == 0x5a5a_5a5a { print("") }  // keeps every result observable
        }

        /// Five policies of ten rules: comparisons, sums, membership, string methods and short
        /// circuits over the input document, with thresholds that differ per policy.
        static func policies() -> [Policy] {
            let inputs: [PolicyInput] = [
                .init(name: "txn.amount_minor", type: .int), .init(name: "txn.kind", type: .string),
                .init(name: "txn.currency", type: .string), .init(name: "txn.direction", type: .string),
                .init(name: "txn.reference", type: .string, defaultValue: ""),
                .init(name: "txn.counterparty_country", type: .string, defaultValue: ""),
                .init(name: "features.count_1h", type: .int), .init(name: "features.count_24h", type: .int),
                .init(name: "features.cash_24h_minor", type: .int), .init(name: "features.counterparty_first_seen", type: .bool),
                .init(name: "features.account_age_days", type: .int),
            ]
            return (0..<5).map { p in
                let t = 100_000 * (p + 1)
                let whens = [
                    "txn.amount_minor >= \(t * 9)",
                    "usd_cash && txn.amount_minor >= \(t)",
                    "features.count_1h >= \(5 + p)",
                    "features.cash_24h_minor + txn.amount_minor > \(t * 10)",
                    #"txn.currency in ["USD", "EUR", "GBP"] && txn.amount_minor > \#(t * 3)"#,
                    #"txn.counterparty_country in ["KP", "IR", "MM", "SY", "YE"]"#,
                    "features.counterparty_first_seen && txn.amount_minor >= \(t * 2)",
                    "features.account_age_days < \(7 * (p + 1)) && features.count_24h >= \(10 + p)",
                    #"txn.direction == "debit" && txn.amount_minor % 100000 == 0"#,
                    #"txn.reference.startsWith("INV") && txn.amount_minor > \#(t)"#,
                ]
                return Policy(
                    id: "bench-\(p)", version: "1", status: .active, owner: "bench", refs: [], inputs: inputs,
                    variables: [PolicyVariable(name: "usd_cash", expression: #"txn.kind == "cash" && txn.currency == "USD""#)],
                    rules: whens.enumerated().map { PolicyRule(id: "r\($0.offset)", when: $0.element, score: 10, reason: "rule \($0.offset)") },
                    thresholds: PolicyThresholds(review: 30, block: 60)
                )
            }
        }

        /// A cash deposit that trips some rules and not others, as `DecisionInput` builds documents.
        static func input() -> CanonicalJSON {
            [
                "txn": [
                    "id": "0193a4f2-7c1e-7d2a-9b3c-5e6f7a8b9c0d", "account_id": "ACC-001", "amount_minor": 950_000, "currency": "USD",
                    "direction": "credit", "kind": "cash", "occurred_at": "2026-11-24T09:30:00.000000Z", "occurred_hour_utc": 9,
                    "counterparty_account": "DE89370400440532013000", "counterparty_country": "DE",
                    "counterparty_name": "Ada Lovelace", "reference": "INV-2026-0042",
                ],
                "features": [
                    "count_1h": 2, "count_24h": 6, "count_7d": 14, "sum_1h_minor": 300_000, "sum_24h_minor": 600_000,
                    "sum_7d_minor": 2_000_000, "cash_24h_minor": 450_000, "counterparty_first_seen": true, "account_age_days": 12,
                ],
            ]
        }
    }
}
