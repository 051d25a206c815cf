import ArgumentParser
import Domain
import Foundation

extension BenchCommand {
    /// `custos bench screening`: `NameScreeningIndex.distance(to:)` queries per CPU second against
    /// a synthetic list (seeded: persons of several naming cultures, with aliases and
    /// "SURNAME, Given" forms, and companies), for a mix of exact hits, near misses (1 or 2 edits of
    /// a listed name) and names not on the list, beside `NameScreeningScan` (the definition, entry
    /// by entry) on the same queries in the same run, and normalisation alone. Rounds interleave
    /// the measurements, each timed by the thread's CPU time. Also prints the index's build time
    /// and memory for the list and for a list of `PolicyLimits.entriesPerListMax` entries.
    struct Screening: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Name-screening queries per second on one core, beside the entry-by-entry scan (use a release build)."
        )
        @Option(help: "Entries in the synthetic list (1,000 to 100,000).") var entries = 20_000
        @Option(help: "Interleaved rounds (1 to 101).") var rounds = 9
        @Option(help: "Index queries per round (1,000 to 10,000,000).") var queries = 200_000
        @Option(help: "Scan queries per round (10 to 100,000).") var scanQueries = 300
        @Option(help: "Seed of the synthetic list and queries.") var seed: UInt64 = 0x5d17
        @Flag(help: "Skip building the 100,000-entry list.") var noLargeBuild = false
        @Option(help: ArgumentHelp("Run only this measurement (for profiling).", visibility: .hidden)) var only: Measurement?

        func run() throws {
            guard (1_000...100_000).contains(entries), (1...101).contains(rounds), (1_000...10_000_000).contains(queries),
                  (10...100_000).contains(scanQueries)
            else {
                throw ValidationError("--entries must be 1,000 to 100,000, --rounds 1 to 101, --queries 1,000 to 10,000,000 and --scan-queries 10 to 100,000")
            }
            var random = SplitMix64(seed: seed)
            let list = SyntheticNames.list(entries: entries, &random)
            let rssBefore = Self.residentBytes()
            let (index, buildSeconds) = Self.timedBuild(list)
            let rssAfter = Self.residentBytes()
            let subjects = try Subjects(index: index, scan: NameScreeningScan(entries: list), list: list, random: &random)
            print(String(
                format: "screening: %d entries, %d distinct names; build %.3f s CPU; index arrays %.1f MiB; resident set +%.1f MiB by the build",
                list.count, index.namesCount, buildSeconds, Double(index.storageBytes) / 1_048_576,
                Double(rssAfter - rssBefore) / 1_048_576
            ))
            print("screening: queries \(subjects.mixLabel)")
            if !noLargeBuild && only == nil { Self.largeBuild(&random) }
            measure(subjects)
        }

        private func measure(_ subjects: Subjects) {
            var rates: [Measurement: [Double]] = [:]
            for _ in 0..<rounds {
                for measurement in Measurement.allCases where only == nil || only == measurement {
                    let times = measurement == .scan ? scanQueries : queries
                    let start = Fields.threadCPUSeconds()
                    subjects.run(measurement, times: times)
                    rates[measurement, default: []].append(Double(times) / (Fields.threadCPUSeconds() - start))
                }
            }
            func median(_ values: [Double]) -> Double {
                let sorted = values.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            print("screening: one thread, queries per CPU second, \(rounds) interleaved rounds, medians (range):")
            for measurement in Measurement.allCases {
                guard let values = rates[measurement] else { continue }
                print(String(format: "screening: %@ %.0f/s (%.0f–%.0f), %.2f µs a query",
                             measurement.label, median(values), values.min()!, values.max()!, 1e6 / median(values)))
            }
            if let indexRates = rates[.index], let scanRates = rates[.scan] {
                let ratios = zip(indexRates, scanRates).map { $0 / $1 }
                print(String(format: "screening: index / scan: ratio of the medians %.0f | ratios of the rounds: median %.0f (%.0f–%.0f)",
                             median(indexRates) / median(scanRates), median(ratios), ratios.min()!, ratios.max()!))
            }
            if subjects.sink.value == 0x5a5a_5a5a { print("") }  // keeps every result observable
        }

        static func timedBuild(_ list: [NameListEntry]) -> (NameScreeningIndex, Double) {
            let start = Fields.threadCPUSeconds()
            let index = NameScreeningIndex(entries: list)
            return (index, Fields.threadCPUSeconds() - start)
        }

        /// Build time and size at the largest list a bundle allows.
        static func largeBuild(_ random: inout SplitMix64) {
            let list = SyntheticNames.list(entries: PolicyLimits.entriesPerListMax, &random)
            let rssBefore = residentBytes()
            let (index, seconds) = timedBuild(list)
            let rssAfter = residentBytes()
            print(String(
                format: "screening: %d entries, %d distinct names; build %.3f s CPU; index arrays %.1f MiB; resident set +%.1f MiB by the build",
                list.count, index.namesCount, seconds, Double(index.storageBytes) / 1_048_576, Double(rssAfter - rssBefore) / 1_048_576
            ))
        }

        /// The process's resident set (`VmRSS` of /proc/self/status), 0 where that is not readable.
        static func residentBytes() -> Int {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                return (Int(line.split(separator: " ")[1]) ?? 0) * 1_024
            }
            return 0
        }

        enum Measurement: String, CaseIterable, ExpressibleByArgument {
            case index, scan, normalize

            var label: String {
                switch self {
                case .index: "index (NameScreeningIndex.distance)"
                case .scan: "scan (NameScreeningScan.distance, the baseline)"
                case .normalize: "normalisation alone (NameNormalization.normalize)"
                }
            }
        }

        /// Results are folded into this, so that no measured call can be optimised away.
        final class Sink {
            var value: UInt64 = 0
        }

        /// The index, the scan and a fixed set of queries, prepared once; every measurement cycles
        /// through the same queries.
        struct Subjects {
            static let queriesDistinct = 3_000
            let index: NameScreeningIndex
            let scan: NameScreeningScan
            let queries: [String]
            let mixLabel: String
            let sink = Sink()

            init(index: NameScreeningIndex, scan: NameScreeningScan, list: [NameListEntry], random: inout SplitMix64) throws {
                var queries: [String] = []
                for n in 0..<Self.queriesDistinct {
                    let listed = list[Int(random.next() % UInt64(list.count))].name
                    switch n % 3 {
                    case 0: queries.append(SyntheticNames.restyled(listed, &random))
                    case 1: queries.append(SyntheticNames.edited(listed, edits: 1 + Int(random.next() % 2), &random))
                    default: queries.append(SyntheticNames.person(&random))
                    }
                }
                var counts = [Int](repeating: 0, count: NameScreeningIndex.distanceCap + 1)
                for (n, query) in queries.enumerated() {
                    let distance = index.distance(to: query)
                    counts[distance] += 1
                    // The index must agree with the definition (on a sample: the scan is slow).
                    if n % 10 == 0, scan.distance(to: query) != distance {
                        throw ValidationError("index and scan disagree on \(query.debugDescription)")
                    }
                }
                self.index = index
                self.scan = scan
                self.queries = queries
                mixLabel = "\(queries.count) distinct (a third restyled list names, a third with 1–2 edits, a third new names); "
                    + "distances 0/1/2/3: \(counts.map(String.init).joined(separator: "/"))"
            }

            func run(_ measurement: Measurement, times: Int) {
                var total: UInt64 = 0
                for n in 0..<times {
                    let query = queries[n % queries.count]
                    switch measurement {
                    case .index: total &+= UInt64(index.distance(to: query))
                    case .scan: total &+= UInt64(scan.distance(to: query))
                    case .normalize: total &+= UInt64(NameNormalization.normalize(query).utf8.count)
                    }
                }
                sink.value &+= total
            }
        }
    }
}

extension SplitMix64 {
    mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
    mutating func chance(_ numerator: UInt64, in denominator: UInt64) -> Bool { next() % denominator < numerator }
}

extension BenchCommand.Screening {
    /// Names in the shapes of a consolidated sanctions list: persons of several naming cultures,
    /// some with a patronym or a "bin" chain, some written "SURNAME, Given", with aliases (a
    /// re-spelling) under the same id; companies and vessels. About half the surnames come from a
    /// list of common ones, so that many names share words, as on real lists.
    enum SyntheticNames {
        static let given = [
            "Mohammed", "Muhammad", "Ahmad", "Ahmed", "Ali", "Hassan", "Hussein", "Omar", "Abdul", "Abdullah", "Ibrahim", "Yusuf",
            "Khalid", "Mustafa", "Said", "Ivan", "Sergei", "Dmitry", "Vladimir", "Alexei", "Nikolai", "Igor", "Oleg", "Yuri",
            "Viktor", "Andrei", "Mikhail", "Pavel", "Juan", "Carlos", "José", "Luis", "Miguel", "Jorge", "Ramón", "Wei", "Li",
            "Jian", "Ming", "Hong", "Jun", "Kim", "Jong", "Chol", "Song", "Hyon", "Ali Reza", "Mehdi", "Hossein", "Reza", "Javad",
            "Fatima", "Aisha", "Maryam", "Olga", "Natalia", "Elena", "Svetlana", "María", "Ana", "Zainab", "Nasser", "Faisal",
            "Tariq", "Bashir", "Karim", "Rashid", "Samir", "Walid", "Ziad", "Jamal", "Anwar", "Hamid", "Mahmoud", "Salim",
        ]
        static let surnames = [
            "Al-Rashid", "Al-Hashimi", "Haddad", "Khan", "Rahman", "Hussain", "Karimi", "Hosseini", "Mousavi", "Rezaei",
            "Petrov", "Ivanov", "Smirnov", "Kuznetsov", "Popov", "Volkov", "Sokolov", "Lebedev", "Kozlov", "Novikov", "Morozov",
            "García", "Rodríguez", "Martínez", "López", "González", "Hernández", "Pérez", "Sánchez", "Ramírez", "Torres",
            "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Kim", "Lee", "Park", "Choi", "Ri", "Pak",
            "Nasrallah", "Qasim", "Saleh", "Mansour", "Aziz", "Farouk", "Nouri", "Bakr", "Jaber", "Darwish", "Müller", "Öztürk",
        ]
        static let syllables = ["ka", "ro", "mi", "sa", "te", "vo", "lin", "dar", "zen", "bul", "an", "ek", "or", "ya", "hu", "nov", "ski", "ra"]
        static let companyWords = [
            "Global", "Trading", "General", "Petroleum", "Shipping", "Maritime", "Energy", "Industrial", "Export", "Import",
            "Investment", "Holding", "Technology", "Logistics", "Metals", "Aviation", "Chemical", "Engineering", "Star", "Golden",
            "Eastern", "Northern", "Pacific", "Gulf", "Caspian", "Baltic", "Silk Road", "Crescent", "Phoenix", "Falcon",
        ]
        static let companySuffixes = ["LLC", "Ltd.", "Co., Ltd.", "FZE", "JSC", "OOO", "S.A.", "GmbH", "Company", "Group", "Limited"]

        /// `entries` entries; about one in five persons also has an alias line with the same id.
        static func list(entries: Int, _ random: inout SplitMix64) -> [NameListEntry] {
            var list: [NameListEntry] = []
            list.reserveCapacity(entries)
            var id = 0
            while list.count < entries {
                id += 1
                let key = "SYN-\(id)"
                if random.chance(1, in: 4) {
                    list.append(NameListEntry(id: key, name: company(&random)))
                    continue
                }
                let name = person(&random)
                list.append(NameListEntry(id: key, name: random.chance(1, in: 3) ? restyled(name, &random) : name))
                if list.count < entries, random.chance(1, in: 5) {
                    list.append(NameListEntry(id: key, name: edited(name, edits: 1 + Int(random.next() % 2), &random)))
                }
            }
            return list
        }

        static func surname(_ random: inout SplitMix64) -> String {
            if random.chance(1, in: 2) { return random.pick(surnames) }
            let word = (0..<(2 + Int(random.next() % 2))).map { _ in random.pick(syllables) }.joined()
            return word.prefix(1).uppercased() + word.dropFirst()
        }

        /// Two to four words: given names, sometimes a patronym or "bin" chain, a surname.
        static func person(_ random: inout SplitMix64) -> String {
            var words = [random.pick(given)]
            if random.chance(2, in: 5) { words.append(random.pick(given)) }
            if random.chance(1, in: 10) { words += ["bin", random.pick(given)] }
            words.append(surname(&random))
            return words.joined(separator: " ")
        }

        static func company(_ random: inout SplitMix64) -> String {
            var words = [random.chance(1, in: 3) ? surname(&random) : random.pick(companyWords), random.pick(companyWords)]
            if random.chance(1, in: 3) { words.append(random.pick(companyWords)) }
            words.append(random.pick(companySuffixes))
            return words.joined(separator: " ")
        }

        /// The same name as another source writes it: upper case, or "SURNAME, Given Names".
        static func restyled(_ name: String, _ random: inout SplitMix64) -> String {
            let words = name.split(separator: " ")
            if words.count > 1, random.chance(1, in: 2) {
                return words.last!.uppercased() + ", " + words.dropLast().joined(separator: " ")
            }
            return name.uppercased()
        }

        /// `edits` random letter insertions, deletions or substitutions.
        static func edited(_ name: String, edits: Int, _ random: inout SplitMix64) -> String {
            var scalars = Array(name.unicodeScalars)
            let letters = Array("abdeiklmnorsuvyz".unicodeScalars)
            for _ in 0..<edits {
                let at = Int(random.next() % UInt64(scalars.count))
                switch random.next() % 3 {
                case 0: scalars.insert(random.pick(letters), at: at)
                case 1 where scalars.count > 1: scalars.remove(at: at)
                default: scalars[at] = random.pick(letters)
                }
            }
            return String(String.UnicodeScalarView(scalars))
        }
    }
}
