/// Recursive-descent parser for CEL. Refuses sources over `CELLimits.expressionBytesMax`,
/// trees over `CELLimits.astNodesMax` nodes and nesting deeper than `CELLimits.nestingDepthMax`.
///
/// Beside the expression it builds its `CELSourceMap`: every node made (`node(_:at:children:)`)
/// pops its children's maps from `maps` and pushes its own, so that when the whole expression is
/// parsed exactly one map, the root's, is left.
struct CELParser {
    private let tokens: [CELToken]
    private var position = 0
    private var depth = 0
    private var nodes = 0
    /// The maps of the nodes made and not yet taken by a parent, in source order.
    private var maps: [CELSourceMap] = []

    static func parse(_ source: String) throws(CELParseError) -> CELExpression {
        try parseWithSourceMap(source).expression
    }

    static func parseWithSourceMap(_ source: String) throws(CELParseError) -> (expression: CELExpression, map: CELSourceMap) {
        guard source.utf8.count <= CELLimits.expressionBytesMax else {
            throw CELParseError(
                "expression is \(source.utf8.count) bytes; the limit is \(CELLimits.expressionBytesMax)",
                at: CELSourcePosition(line: 1, column: 1), kind: .limit)
        }
        var parser = CELParser(tokens: try CELLexer.tokenize(source))
        let expression = try parser.expression()
        guard case .end = parser.current.kind else { throw parser.error("unexpected \(parser.describe(parser.current))") }
        precondition(parser.maps.count == 1, "one source map, the root's, is left after parsing")
        return (expression, parser.maps[0])
    }

    private init(tokens: [CELToken]) { self.tokens = tokens }

    private var current: CELToken { tokens[position] }

    private func error(_ message: String, at token: CELToken? = nil, kind: CELParseError.Kind = .syntax) -> CELParseError {
        CELParseError(message, at: (token ?? current).position, kind: kind)
    }

    private func describe(_ token: CELToken) -> String {
        switch token.kind {
        case .end: "end of input"
        case .punctuation(let p): "'\(p)'"
        case .identifier(let name): "'\(name)'"
        case .quotedIdentifier(let name): "`\(name)`"
        default: "literal"
        }
    }

    private func isPunctuation(_ p: String) -> Bool {
        if case .punctuation(let q) = current.kind { return p == q }
        return false
    }

    private mutating func accept(_ p: String) -> Bool {
        guard isPunctuation(p) else { return false }
        position += 1
        return true
    }

    /// Accepts `p` and gives its position, or nil (consuming nothing).
    private mutating func acceptAt(_ p: String) -> CELSourcePosition? {
        let at = current.position
        return accept(p) ? at : nil
    }

    private mutating func expect(_ p: String) throws(CELParseError) {
        guard accept(p) else { throw error("expected '\(p)', found \(describe(current))") }
    }

    /// Counts a node, checks the tree size, and replaces the maps of its last `children` nodes
    /// made by its own.
    private mutating func node(_ e: CELExpression, at position: CELSourcePosition, children: Int) throws(CELParseError) -> CELExpression {
        nodes += 1
        guard nodes <= CELLimits.astNodesMax else {
            throw error("expression has more than \(CELLimits.astNodesMax) nodes", kind: .limit)
        }
        precondition(maps.count >= children, "a node's children were made before it")
        let own = CELSourceMap(position: position, children: Array(maps.suffix(children)))
        maps.removeLast(children)
        maps.append(own)
        return e
    }

    private mutating func enter() throws(CELParseError) {
        depth += 1
        guard depth <= CELLimits.nestingDepthMax else {
            throw error("expression nests deeper than \(CELLimits.nestingDepthMax) levels", kind: .limit)
        }
    }

    // MARK: Grammar, loosest binding first.

    private mutating func expression() throws(CELParseError) -> CELExpression {
        try enter()
        defer { depth -= 1 }
        let condition = try logicalOr()
        guard let at = acceptAt("?") else { return condition }
        let then = try logicalOr()
        try expect(":")
        let otherwise = try expression()
        return try node(.conditional(condition, then: then, else: otherwise), at: at, children: 3)
    }

    private mutating func logicalOr() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try logicalAnd()
        while let at = acceptAt("||") {
            try enter()
            left = try node(.or(left, try logicalAnd()), at: at, children: 2)
        }
        return left
    }

    private mutating func logicalAnd() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try relation()
        while let at = acceptAt("&&") {
            try enter()
            left = try node(.and(left, try relation()), at: at, children: 2)
        }
        return left
    }

    private mutating func relation() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try addition()
        while true {
            let op: CELBinaryOperator
            if case .identifier("in") = current.kind {
                op = .in
            } else if case .punctuation(let p) = current.kind, let o = CELBinaryOperator(rawValue: p),
                ["==", "!=", "<", "<=", ">", ">="].contains(p)
            {
                op = o
            } else {
                return left
            }
            let at = current.position
            position += 1
            try enter()
            left = try node(.binary(op, left, try addition()), at: at, children: 2)
        }
    }

    private mutating func addition() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try multiplication()
        while true {
            let op: CELBinaryOperator
            let at = current.position
            if accept("+") { op = .add } else if accept("-") { op = .subtract } else { return left }
            try enter()
            left = try node(.binary(op, left, try multiplication()), at: at, children: 2)
        }
    }

    private mutating func multiplication() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try unary()
        while true {
            let op: CELBinaryOperator
            let at = current.position
            if accept("*") {
                op = .multiply
            } else if accept("/") {
                op = .divide
            } else if accept("%") {
                op = .remainder
            } else {
                return left
            }
            try enter()
            left = try node(.binary(op, left, try unary()), at: at, children: 2)
        }
    }

    private mutating func unary() throws(CELParseError) -> CELExpression {
        if let at = acceptAt("!") {
            try enter()
            defer { depth -= 1 }
            return try node(.unary(.not, try unary()), at: at, children: 1)
        }
        if let at = acceptAt("-") {
            try enter()
            defer { depth -= 1 }
            // A negated integer literal is one literal, so -9223372036854775808 is representable.
            if case .int(let magnitude) = current.kind {
                let literalToken = current
                position += 1
                guard magnitude <= UInt64(Int64.max) + 1 else {
                    throw error("integer literal out of range", at: literalToken)
                }
                let value = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
                return try member(try node(.literal(.int(value)), at: at, children: 0))
            }
            return try node(.unary(.negate, try unary()), at: at, children: 1)
        }
        return try member(try primary())
    }
}

extension CELParser {
    private mutating func member(_ base: CELExpression) throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var operand = base
        while true {
            if isPunctuation(".") || isPunctuation("[") { try enter() }
            if accept(".") {
                let nameToken = current
                let name: String
                switch nameToken.kind {
                case .identifier(let n), .quotedIdentifier(let n): name = n
                default: throw error("expected a field or method name after '.'")
                }
                position += 1
                if case .identifier = nameToken.kind, accept("(") {
                    let arguments = try argumentList(closing: ")")
                    operand = try methodCall(name, target: operand, arguments: arguments, at: nameToken)
                } else {
                    operand = try node(.select(operand, field: name), at: nameToken.position, children: 1)
                }
            } else if let at = acceptAt("[") {
                let index = try expression()
                try expect("]")
                operand = try node(.index(operand, index), at: at, children: 2)
            } else {
                return operand
            }
        }
    }

    private mutating func methodCall(
        _ name: String, target: CELExpression, arguments: [CELExpression], at token: CELToken
    ) throws(CELParseError) -> CELExpression {
        guard let macro = CELMacro(rawValue: name), arguments.count == 2 || (macro == .map && arguments.count == 3)
        else {
            return try node(.call(name, target: target, arguments: arguments), at: token.position, children: 1 + arguments.count)
        }
        guard case .identifier(let variable) = arguments[0] else {
            throw error("the first argument of \(name) must be a variable name", at: token)
        }
        let transform = arguments.count == 3 ? arguments[2] : nil
        // The variable is a name, not a node of the comprehension: drop its map (the first
        // argument's, just above the range's).
        maps.remove(at: maps.count - arguments.count)
        return try node(
            .comprehension(macro, range: target, variable: variable, body: arguments[1], transform: transform),
            at: token.position, children: arguments.count)
    }

    private mutating func argumentList(closing: String) throws(CELParseError) -> [CELExpression] {
        try enter()
        defer { depth -= 1 }
        var items: [CELExpression] = []
        if accept(closing) { return items }
        repeat {
            if closing != ")" && isPunctuation(closing) { break }  // trailing comma in a list
            items.append(try expression())
        } while accept(",")
        try expect(closing)
        return items
    }

    private mutating func primary() throws(CELParseError) -> CELExpression {
        let token = current
        switch token.kind {
        case .int(let magnitude):
            position += 1
            guard magnitude <= UInt64(Int64.max) else { throw error("integer literal out of range", at: token) }
            return try node(.literal(.int(Int64(magnitude))), at: token.position, children: 0)
        case .uint(let value):
            position += 1
            return try node(.literal(.uint(value)), at: token.position, children: 0)
        case .double(let value):
            position += 1
            return try node(.literal(.double(value)), at: token.position, children: 0)
        case .string(let value):
            position += 1
            return try node(.literal(.string(value)), at: token.position, children: 0)
        case .bytes(let value):
            position += 1
            return try node(.literal(.bytes(value)), at: token.position, children: 0)
        case .identifier(let name):
            position += 1
            return try identifier(name, at: token)
        case .punctuation("("):
            position += 1
            let inner = try expression()
            try expect(")")
            return inner
        case .punctuation("["):
            position += 1
            let items = try argumentList(closing: "]")
            return try node(.list(items), at: token.position, children: items.count)
        case .punctuation("{"):
            position += 1
            return try mapLiteral(at: token)
        case .punctuation("."):
            position += 1
            guard case .identifier(let name) = current.kind else { throw error("expected an identifier after '.'") }
            let nameToken = current
            position += 1
            return try identifier(name, at: nameToken)
        default:
            throw error("unexpected \(describe(token))")
        }
    }

    private mutating func identifier(_ name: String, at token: CELToken) throws(CELParseError) -> CELExpression {
        switch name {
        case "true": return try node(.literal(.bool(true)), at: token.position, children: 0)
        case "false": return try node(.literal(.bool(false)), at: token.position, children: 0)
        case "null": return try node(.literal(.null), at: token.position, children: 0)
        case "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
            "package", "namespace", "return", "var", "void", "while":
            throw error("'\(name)' is a reserved word", at: token)
        default: break
        }
        guard accept("(") else {
            if isPunctuation("{") { throw error("message construction is not supported", at: token) }
            return try node(.identifier(name), at: token.position, children: 0)
        }
        let arguments = try argumentList(closing: ")")
        if name == "has" {
            guard arguments.count == 1, case .select(let operand, let field) = arguments[0] else {
                throw error("has() needs a field selection, like has(x.field)", at: token)
            }
            // The selection is not a node of its own here: its operand is the presence test's.
            let selection = maps.removeLast()
            maps.append(contentsOf: selection.children)
            return try node(.presence(operand, field: field), at: token.position, children: 1)
        }
        return try node(.call(name, target: nil, arguments: arguments), at: token.position, children: arguments.count)
    }

    private mutating func mapLiteral(at token: CELToken) throws(CELParseError) -> CELExpression {
        try enter()
        defer { depth -= 1 }
        var entries: [CELMapEntryExpression] = []
        if accept("}") { return try node(.map(entries), at: token.position, children: 0) }
        repeat {
            if isPunctuation("}") { break }
            let key = try expression()
            try expect(":")
            entries.append(CELMapEntryExpression(key: key, value: try expression()))
        } while accept(",")
        try expect("}")
        return try node(.map(entries), at: token.position, children: 2 * entries.count)
    }
}
