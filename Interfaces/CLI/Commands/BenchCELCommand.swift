import ArgumentParser
import Domain
import Foundation

extension BenchCommand {
    /// `custos bench cel`: evaluations per CPU second of a typical rule compiled once
    /// (`CELProgram`), for an input that makes it true and one that makes it false, beside the
    /// same logic written by hand in Swift over the same bindings (`[String: CELValue]` holding
    /// `CELMap`s, looked up per evaluation), measured in the same run. The ratio says what the
    /// interpreter costs; the absolute rate is compared with the target of 1,000,000/s on one core.
    /// Rounds interleave the four measurements, each timed by the thread's CPU time.
    struct CEL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cel",
            abstract: "Evaluations per second of a typical CEL rule on one core, beside hand-written Swift (use a release build)."
        )
        @Option(help: "Interleaved rounds (1 to 101).") var rounds = 9
        @Option(help: "Evaluations of each kind per round (1,000 to 100,000,000).") var evaluations = 1_000_000
        @Option(help: ArgumentHelp("Run only this measurement (for profiling).", visibility: .hidden)) var only: Measurement?

        static let rule = #"txn.amount_minor >= 900000 && txn.kind == "cash" && features.cash_24h_minor + txn.amount_minor > 1000000"#
        static let target = 1_000_000.0

        func run() throws {
            guard (1...101).contains(rounds), (1_000...100_000_000).contains(evaluations) else {
                throw ValidationError("--rounds must be 1 to 101 and --evaluations 1,000 to 100,000,000")
            }
            let subjects = try Subjects()
            var rates: [Measurement: [Double]] = [:]
            for _ in 0..<rounds {
                for measurement in Measurement.allCases where only == nil || only == measurement {
                    let start = Fields.threadCPUSeconds()
                    try subjects.run(measurement, times: evaluations)
                    rates[measurement, default: []].append(Double(evaluations) / (Fields.threadCPUSeconds() - start))
                }
            }
            if let only {
                print(String(format: "cel: %@ %.0f/s", only.label, rates[only]!.sorted()[rounds / 2]))
                return
            }
            func median(_ values: [Double]) -> Double {
                let sorted = values.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            print("cel: rule \(Self.rule)")
            print("cel: one thread, evaluations per CPU second, \(rounds) interleaved rounds of \(evaluations) evaluations each, medians (range):")
            for (ours, baseline) in [(Measurement.celTrue, Measurement.swiftTrue), (.celFalse, .swiftFalse)] {
                let oursRates = rates[ours]!, baseRates = rates[baseline]!
                let ratios = zip(oursRates, baseRates).map { $0 / $1 }
                print(String(
                    format: "cel: %@ %.0f/s (%.0f–%.0f) | %@ %.0f/s (%.0f–%.0f) | ratio of the medians %.3f | ratios of the rounds: median %.3f (%.3f–%.3f) | %.2f× the 1,000,000/s target",
                    ours.label, median(oursRates), oursRates.min()!, oursRates.max()!,
                    baseline.label, median(baseRates), baseRates.min()!, baseRates.max()!,
                    median(oursRates) / median(baseRates), median(ratios), ratios.min()!, ratios.max()!,
                    median(oursRates) / Self.target
                ))
            }
            if subjects.sink.value == 0x5a5a_5a5a { print("") }  // keeps every result observable
        }

        enum Measurement: String, CaseIterable, ExpressibleByArgument {
            case swiftTrue = "swift-true", celTrue = "cel-true", swiftFalse = "swift-false", celFalse = "cel-false"

            var label: String {
                switch self {
                case .swiftTrue: "hand-written Swift, true"
                case .celTrue: "CEL, true"
                case .swiftFalse: "hand-written Swift, false"
                case .celFalse: "CEL, false"
                }
            }
        }

        /// Results are folded into this, so that no measured call can be optimised away.
        final class Sink {
            var value: UInt64 = 0
        }

        /// The compiled rule and its two inputs, prepared once.
        struct Subjects {
            let program: CELProgram
            /// A large cash transaction on top of 200,000 of cash in the last 24 hours.
            let trueBindings: [String: CELValue]
            /// An ordinary small transfer (the first comparison decides).
            let falseBindings: [String: CELValue]
            let sink = Sink()

            init() throws {
                program = try CELProgram(CEL.rule)
                trueBindings = Self.bindings(amount: 950_000, kind: "cash", cash24h: 200_000)
                falseBindings = Self.bindings(amount: 12_345, kind: "transfer", cash24h: 200_000)
                for (bindings, expected) in [(trueBindings, true), (falseBindings, false)] {
                    guard try program.evaluate(bindings) == .bool(expected), try Self.handWritten(bindings) == expected else {
                        throw ValidationError("the rule and its hand-written form disagree with the expected \(expected)")
                    }
                }
            }

            static func bindings(amount: Int64, kind: String, cash24h: Int64) -> [String: CELValue] {
                var txn = CELMap()
                txn.insert(.string("id"), .string("0193a4f2-7c1e-7d2a-9b3c-5e6f7a8b9c0d"))
                txn.insert(.string("account_id"), .string("ACC-001"))
                txn.insert(.string("amount_minor"), .int(amount))
                txn.insert(.string("currency"), .string("EUR"))
                txn.insert(.string("direction"), .string("debit"))
                txn.insert(.string("kind"), .string(kind))
                txn.insert(.string("counterparty_account"), .string("DE89370400440532013000"))
                var features = CELMap()
                features.insert(.string("cash_24h_minor"), .int(cash24h))
                features.insert(.string("count_24h"), .int(3))
                return ["txn": .map(txn), "features": .map(features)]
            }

            struct Mismatch: Error {}

            /// The rule written by hand over the same representation: the same lookups by name in the
            /// bindings and by string key in the maps, the same overflow check on the sum, and `&&`
            /// short-circuiting left to right. Any lookup or type failure throws, as the rule would.
            @inline(never)
            static func handWritten(_ bindings: [String: CELValue]) throws -> Bool {
                guard case .map(let txn)? = bindings["txn"], case .int(let amount)? = txn[.string("amount_minor")] else { throw Mismatch() }
                guard amount >= 900_000 else { return false }
                guard case .string(let kind)? = txn[.string("kind")] else { throw Mismatch() }
                guard kind == "cash" else { return false }
                guard case .map(let features)? = bindings["features"], case .int(let cash)? = features[.string("cash_24h_minor")],
                      case .int(let again)? = txn[.string("amount_minor")] else { throw Mismatch() }
                let (sum, overflow) = cash.addingReportingOverflow(again)
                guard !overflow else { throw Mismatch() }
                return sum > 1_000_000
            }

            func run(_ measurement: Measurement, times: Int) throws {
                var trues: UInt64 = 0
                switch measurement {
                case .celTrue, .celFalse:
                    let bindings = measurement == .celTrue ? trueBindings : falseBindings
                    for _ in 0..<times where try program.evaluate(bindings) == .bool(true) { trues += 1 }
                case .swiftTrue, .swiftFalse:
                    let bindings = measurement == .swiftTrue ? trueBindings : falseBindings
                    for _ in 0..<times where try Self.handWritten(bindings) { trues += 1 }
                }
                let expected = (measurement == .celTrue || measurement == .swiftTrue) ? UInt64(times) : 0
                guard trues == expected else { throw ValidationError("\(measurement.rawValue): \(trues) of \(times) evaluations were true") }
                sink.value &+= trues
            }
        }
    }
}
