extension CELRegex {
    /// Parses the supported RE2 subset; anything else is an `invalidArgument` error, never a guess.
    struct Parser {
        private let pattern: [UInt32]
        private var index = 0
        private var depth = 0

        init(_ pattern: [UInt32]) { self.pattern = pattern }

        private var peek: UInt32? { index < pattern.count ? pattern[index] : nil }

        private func fail(_ why: String) -> CELEvalError { .invalidArgument("regular expression: \(why)") }

        mutating func parse() throws(CELEvalError) -> Node {
            let node = try alternation()
            guard index == pattern.count else { throw fail("unmatched ')'") }
            return node
        }

        private mutating func alternation() throws(CELEvalError) -> Node {
            var options = [try concatenation()]
            while peek == 0x7C {  // |
                index += 1
                options.append(try concatenation())
            }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        private mutating func concatenation() throws(CELEvalError) -> Node {
            var parts: [Node] = []
            while let c = peek, c != 0x7C, c != 0x29 {  // | )
                var atom = try self.atom()
                while let (min, max) = try quantifier() {
                    if case .repetition = atom { throw fail("nested repetition operators") }
                    if case .lineStart = atom { throw fail("repetition of an anchor") }
                    atom = .repetition(atom, min: min, max: max)
                }
                parts.append(atom)
            }
            return parts.isEmpty ? .empty : (parts.count == 1 ? parts[0] : .concat(parts))
        }

        private mutating func quantifier() throws(CELEvalError) -> (Int, Int?)? {
            guard let c = peek else { return nil }
            let result: (Int, Int?)
            switch c {
            case 0x2A: result = (0, nil)  // *
            case 0x2B: result = (1, nil)  // +
            case 0x3F: result = (0, 1)  // ?
            case 0x7B:  // {
                guard let counted = try countedRepetition() else { return nil }
                if peek == 0x3F { index += 1 }  // a lazy form matches the same strings
                return counted
            default: return nil
            }
            index += 1
            if peek == 0x3F { index += 1 }
            return result
        }

        /// `{n}`, `{n,}` or `{n,m}`; nil (and nothing consumed) when the brace is a literal.
        private mutating func countedRepetition() throws(CELEvalError) -> (Int, Int?)? {
            let start = index
            index += 1
            let min = number()
            guard let min else {
                index = start
                return nil
            }
            var max: Int? = min
            if peek == 0x2C {  // ,
                index += 1
                max = number()
            }
            guard peek == 0x7D else {
                index = start
                return nil
            }
            index += 1
            guard min <= 1_000, (max ?? min) <= 1_000, (max ?? min) >= min else { throw fail("bad repetition count") }
            return (min, max)
        }

        private mutating func number() -> Int? {
            var value: Int?
            while let c = peek, c >= 0x30, c <= 0x39, (value ?? 0) < 100_000 {
                value = (value ?? 0) * 10 + Int(c - 0x30)
                index += 1
            }
            return value
        }

        private mutating func atom() throws(CELEvalError) -> Node {
            guard let c = peek else { throw fail("unexpected end") }
            index += 1
            switch c {
            case 0x28: return try group()  // (
            case 0x5B: return .set(try characterClass())  // [
            case 0x2E: return .any  // .
            case 0x5E: return .lineStart  // ^
            case 0x24: return .lineEnd  // $
            case 0x5C:  // backslash
                let escaped = try escape()
                if let set = escaped.set { return .set(set) }
                return .scalar(escaped.scalar)
            case 0x2A, 0x2B, 0x3F: throw fail("missing argument to repetition operator")
            default: return .scalar(c)
            }
        }

        private mutating func group() throws(CELEvalError) -> Node {
            depth += 1
            defer { depth -= 1 }
            guard depth <= CELLimits.nestingDepthMax else { throw fail("groups nest too deeply") }
            if peek == 0x3F {  // (?:
                guard index + 1 < pattern.count, pattern[index + 1] == 0x3A else { throw fail("unsupported group flags") }
                index += 2
            }
            let inner = try alternation()
            guard peek == 0x29 else { throw fail("missing ')'") }
            index += 1
            // Wrapped so that a quantifier after the group applies to the group: (a*)* is allowed, a** is not.
            return .concat([inner])
        }

        private mutating func escape() throws(CELEvalError) -> (scalar: UInt32, set: CharacterSet?) {
            guard let c = peek else { throw fail("trailing backslash") }
            index += 1
            let digits: [ClosedRange<UInt32>] = [0x30...0x39]
            let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
            let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
            switch c {
            case 0x64: return (0, CharacterSet(ranges: digits))  // d
            case 0x44: return (0, CharacterSet(ranges: digits, negated: true))
            case 0x77: return (0, CharacterSet(ranges: word))  // w
            case 0x57: return (0, CharacterSet(ranges: word, negated: true))
            case 0x73: return (0, CharacterSet(ranges: space))  // s
            case 0x53: return (0, CharacterSet(ranges: space, negated: true))
            case 0x6E: return (0x0A, nil)  // n
            case 0x74: return (0x09, nil)  // t
            case 0x72: return (0x0D, nil)  // r
            case 0x66: return (0x0C, nil)  // f
            case 0x76: return (0x0B, nil)  // v
            default:
                // Escaped punctuation stands for itself; letters and digits are other RE2 features.
                let isAlphanumeric = (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
                guard !isAlphanumeric, c < 0x80 else { throw fail("unsupported escape") }
                return (c, nil)
            }
        }

        private mutating func characterClass() throws(CELEvalError) -> CharacterSet {
            var set = CharacterSet()
            if peek == 0x5E {  // ^
                set.negated = true
                index += 1
            }
            var first = true
            while true {
                guard let c = peek else { throw fail("missing ']'") }
                if c == 0x5D && !first {  // ]
                    index += 1
                    return set
                }
                first = false
                index += 1
                var low = c
                if c == 0x5C {
                    let escaped = try escape()
                    if let inner = escaped.set {
                        guard !inner.negated else { throw fail("negated class inside a class") }
                        set.ranges += inner.ranges
                        continue
                    }
                    low = escaped.scalar
                }
                if peek == 0x2D, index + 1 < pattern.count, pattern[index + 1] != 0x5D {  // a-z
                    index += 1
                    var high = pattern[index]
                    index += 1
                    if high == 0x5C {
                        let escaped = try escape()
                        guard escaped.set == nil else { throw fail("bad range") }
                        high = escaped.scalar
                    }
                    guard low <= high else { throw fail("bad range") }
                    set.ranges.append(low...high)
                } else {
                    set.ranges.append(low...low)
                }
            }
        }
    }
}
