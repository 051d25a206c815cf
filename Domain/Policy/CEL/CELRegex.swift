/// The regular expressions of CEL's `matches()`: a subset of RE2 syntax (literals, `.`,
/// classes, `\d \w \s` and their negations, groups, `|`, `* + ? {n,m}`, `^ $`), compiled to
/// an NFA and run as a Pike VM, so matching time is linear in the text for a given pattern:
/// no backtracking. Patterns are limited to `CELLimits.regexInstructionsMax` instructions and a
/// search to `CELLimits.regexWorkMax` instruction visits.
struct CELRegex {
    private let program: [Instruction]

    enum Instruction: Equatable {
        case scalar(UInt32)
        case any
        case set(CharacterSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart
        case lineEnd
        case match
    }

    struct CharacterSet: Equatable {
        var ranges: [ClosedRange<UInt32>] = []
        var negated = false
        func contains(_ c: UInt32) -> Bool { ranges.contains { $0.contains(c) } != negated }
    }

    indirect enum Node {
        case empty
        case scalar(UInt32)
        case any
        case set(CharacterSet)
        case concat([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?)
        case lineStart
        case lineEnd
    }

    init(_ pattern: String) throws(CELEvalError) {
        var parser = Parser(Array(pattern.unicodeScalars.map(\.value)))
        let node = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(node)
        try compiler.append(.match)
        program = compiler.program
    }

    /// True when the pattern matches anywhere in `text` (RE2's partial match, as CEL specifies).
    func search(_ text: String) throws(CELEvalError) -> Bool {
        let scalars = Array(text.unicodeScalars.map(\.value))
        guard (scalars.count + 1) * program.count <= CELLimits.regexWorkMax else {
            throw .limitExceeded("matches() on \(scalars.count) characters with a pattern of \(program.count) instructions")
        }
        var marks = [Int](repeating: -1, count: program.count)
        var current: [Int] = []
        addThread(0, at: 0, count: scalars.count, into: &current, marks: &marks)
        for position in 0...scalars.count {
            if current.contains(where: { program[$0] == .match }) { return true }
            guard position < scalars.count else { break }
            let c = scalars[position]
            var next: [Int] = []
            for pc in current {
                let advances: Bool
                switch program[pc] {
                case .scalar(let s): advances = s == c
                case .any: advances = c != 0x0A
                case .set(let set): advances = set.contains(c)
                default: advances = false
                }
                if advances { addThread(pc + 1, at: position + 1, count: scalars.count, into: &next, marks: &marks) }
            }
            addThread(0, at: position + 1, count: scalars.count, into: &next, marks: &marks)
            current = next
        }
        return false
    }

    /// Adds `start` and everything reachable from it without consuming a character.
    private func addThread(_ start: Int, at position: Int, count: Int, into list: inout [Int], marks: inout [Int]) {
        var stack = [start]
        while let pc = stack.popLast() {
            guard marks[pc] != position else { continue }
            marks[pc] = position
            switch program[pc] {
            case .split(let a, let b): stack.append(contentsOf: [b, a])
            case .jump(let target): stack.append(target)
            case .lineStart: if position == 0 { stack.append(pc + 1) }
            case .lineEnd: if position == count { stack.append(pc + 1) }
            default: list.append(pc)
            }
        }
    }
}

extension CELRegex {
    struct Compiler {
        var program: [Instruction] = []

        mutating func append(_ instruction: Instruction) throws(CELEvalError) {
            guard program.count < CELLimits.regexInstructionsMax else {
                throw .limitExceeded("regular expression longer than \(CELLimits.regexInstructionsMax) instructions")
            }
            program.append(instruction)
        }

        mutating func emit(_ node: Node) throws(CELEvalError) {
            switch node {
            case .empty: break
            case .scalar(let c): try append(.scalar(c))
            case .any: try append(.any)
            case .set(let set): try append(.set(set))
            case .lineStart: try append(.lineStart)
            case .lineEnd: try append(.lineEnd)
            case .concat(let parts): for part in parts { try emit(part) }
            case .alternation(let options): try alternation(options[...])
            case .repetition(let body, let min, let max): try repetition(body, min: min, max: max)
            }
        }

        private mutating func alternation(_ options: ArraySlice<Node>) throws(CELEvalError) {
            guard options.count > 1, let first = options.first else {
                if let only = options.first { try emit(only) }
                return
            }
            let split = program.count
            try append(.split(split + 1, -1))
            try emit(first)
            let jump = program.count
            try append(.jump(-1))
            program[split] = .split(split + 1, program.count)
            try alternation(options.dropFirst())
            program[jump] = .jump(program.count)
        }

        private mutating func repetition(_ body: Node, min: Int, max: Int?) throws(CELEvalError) {
            for _ in 0..<min { try emit(body) }
            guard let max else {
                let loop = program.count
                try append(.split(loop + 1, -1))
                try emit(body)
                try append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
                return
            }
            var pending: [Int] = []
            for _ in min..<Swift.max(min, max) {
                pending.append(program.count)
                try append(.split(program.count + 1, -1))
                try emit(body)
            }
            for split in pending { program[split] = .split(split + 1, program.count) }
        }
    }
}
