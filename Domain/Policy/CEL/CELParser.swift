/// Recursive-descent parser for CEL. Refuses sources over `CELLimits.expressionBytesMax`,
/// trees over `CELLimits.astNodesMax` nodes and nesting deeper than `CELLimits.nestingDepthMax`.
struct CELParser {
    private let tokens: [CELToken]
    private var position = 0
    private var depth = 0
    private var nodes = 0

    static func parse(_ source: String) throws(CELParseError) -> CELExpression {
        guard source.utf8.count <= CELLimits.expressionBytesMax else {
            throw CELParseError(
                "expression is \(source.utf8.count) bytes; the limit is \(CELLimits.expressionBytesMax)",
                at: CELSourcePosition(line: 1, column: 1))
        }
        var parser = CELParser(tokens: try CELLexer.tokenize(source))
        let expression = try parser.expression()
        guard case .end = parser.current.kind else { throw parser.error("unexpected \(parser.describe(parser.current))") }
        return expression
    }

    private init(tokens: [CELToken]) { self.tokens = tokens }

    private var current: CELToken { tokens[position] }

    private func error(_ message: String, at token: CELToken? = nil) -> CELParseError {
        CELParseError(message, at: (token ?? current).position)
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

    private mutating func expect(_ p: String) throws(CELParseError) {
        guard accept(p) else { throw error("expected '\(p)', found \(describe(current))") }
    }

    /// Counts a node and checks the tree size.
    private mutating func node(_ e: CELExpression) throws(CELParseError) -> CELExpression {
        nodes += 1
        guard nodes <= CELLimits.astNodesMax else {
            throw error("expression has more than \(CELLimits.astNodesMax) nodes")
        }
        return e
    }

    private mutating func enter() throws(CELParseError) {
        depth += 1
        guard depth <= CELLimits.nestingDepthMax else {
            throw error("expression nests deeper than \(CELLimits.nestingDepthMax) levels")
        }
    }

    // MARK: Grammar, loosest binding first.

    private mutating func expression() throws(CELParseError) -> CELExpression {
        try enter()
        defer { depth -= 1 }
        let condition = try logicalOr()
        guard accept("?") else { return condition }
        let then = try logicalOr()
        try expect(":")
        let otherwise = try expression()
        return try node(.conditional(condition, then: then, else: otherwise))
    }

    private mutating func logicalOr() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try logicalAnd()
        while accept("||") {
            try enter()
            left = try node(.or(left, try logicalAnd()))
        }
        return left
    }

    private mutating func logicalAnd() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try relation()
        while accept("&&") {
            try enter()
            left = try node(.and(left, try relation()))
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
            position += 1
            try enter()
            left = try node(.binary(op, left, try addition()))
        }
    }

    private mutating func addition() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try multiplication()
        while true {
            let op: CELBinaryOperator
            if accept("+") { op = .add } else if accept("-") { op = .subtract } else { return left }
            try enter()
            left = try node(.binary(op, left, try multiplication()))
        }
    }

    private mutating func multiplication() throws(CELParseError) -> CELExpression {
        let outer = depth
        defer { depth = outer }
        var left = try unary()
        while true {
            let op: CELBinaryOperator
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
            left = try node(.binary(op, left, try unary()))
        }
    }

    private mutating func unary() throws(CELParseError) -> CELExpression {
        if accept("!") {
            try enter()
            defer { depth -= 1 }
            return try node(.unary(.not, try unary()))
        }
        if accept("-") {
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
                return try member(try node(.literal(.int(value))))
            }
            return try node(.unary(.negate, try unary()))
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
                    operand = try node(.select(operand, field: name))
                }
            } else if accept("[") {
                let index = try expression()
                try expect("]")
                operand = try node(.index(operand, index))
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
            return try node(.call(name, target: target, arguments: arguments))
        }
        guard case .identifier(let variable) = arguments[0] else {
            throw error("the first argument of \(name) must be a variable name", at: token)
        }
        let transform = arguments.count == 3 ? arguments[2] : nil
        return try node(
            .comprehension(macro, range: target, variable: variable, body: arguments[1], transform: transform))
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
            return try node(.literal(.int(Int64(magnitude))))
        case .uint(let value):
            position += 1
            return try node(.literal(.uint(value)))
        case .double(let value):
            position += 1
            return try node(.literal(.double(value)))
        case .string(let value):
            position += 1
            return try node(.literal(.string(value)))
        case .bytes(let value):
            position += 1
            return try node(.literal(.bytes(value)))
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
            return try node(.list(try argumentList(closing: "]")))
        case .punctuation("{"):
            position += 1
            return try mapLiteral()
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
        case "true": return try node(.literal(.bool(true)))
        case "false": return try node(.literal(.bool(false)))
        case "null": return try node(.literal(.null))
        case "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
            "package", "namespace", "return", "var", "void", "while":
            throw error("'\(name)' is a reserved word", at: token)
        default: break
        }
        guard accept("(") else {
            if isPunctuation("{") { throw error("message construction is not supported", at: token) }
            return try node(.identifier(name))
        }
        let arguments = try argumentList(closing: ")")
        if name == "has" {
            guard arguments.count == 1, case .select(let operand, let field) = arguments[0] else {
                throw error("has() needs a field selection, like has(x.field)", at: token)
            }
            return try node(.presence(operand, field: field))
        }
        return try node(.call(name, target: nil, arguments: arguments))
    }

    private mutating func mapLiteral() throws(CELParseError) -> CELExpression {
        try enter()
        defer { depth -= 1 }
        var entries: [CELMapEntryExpression] = []
        if accept("}") { return try node(.map(entries)) }
        repeat {
            if isPunctuation("}") { break }
            let key = try expression()
            try expect(":")
            entries.append(CELMapEntryExpression(key: key, value: try expression()))
        } while accept(",")
        try expect("}")
        return try node(.map(entries))
    }
}
