import Foundation

/// CEL source text for a parsed expression, so that a coverage report can name a sub-expression
/// of a rule (the parser keeps no positions). Whitespace, comments and redundant parentheses of
/// the original are not kept; the text parses back to the same tree.
extension CELExpression {
    var renderedSource: String { CELRendering.render(self, context: .conditional) }
}

private enum CELRendering {
    /// Binding strength, loosest first, as in `CELParser`'s grammar.
    enum Level: Int, Comparable {
        case conditional, or, and, relation, addition, multiplication, unary, member

        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// `expression`'s text, in parentheses when it binds more loosely than `context` needs.
    static func render(_ expression: CELExpression, context: Level) -> String {
        let (text, level) = renderBare(expression)
        return level < context ? "(" + text + ")" : text
    }

    static func renderBare(_ expression: CELExpression) -> (String, Level) {
        switch expression {
        case .literal(let value):
            let text = literal(value)
            return (text, text.hasPrefix("-") ? .unary : .member)
        case .identifier(let name): return (name, .member)
        case .select(let operand, let field): return (render(operand, context: .member) + "." + fieldName(field), .member)
        case .presence(let operand, let field): return ("has(" + render(operand, context: .member) + "." + fieldName(field) + ")", .member)
        case .index(let operand, let index):
            return (render(operand, context: .member) + "[" + render(index, context: .conditional) + "]", .member)
        case .call(let name, let target, let arguments):
            let list = arguments.map { render($0, context: .conditional) }.joined(separator: ", ")
            let receiver = target.map { render($0, context: .member) + "." } ?? ""
            return (receiver + name + "(" + list + ")", .member)
        case .list(let items): return ("[" + items.map { render($0, context: .conditional) }.joined(separator: ", ") + "]", .member)
        case .map(let entries):
            let list = entries.map { render($0.key, context: .conditional) + ": " + render($0.value, context: .conditional) }
            return ("{" + list.joined(separator: ", ") + "}", .member)
        case .unary(let op, let operand): return (op.rawValue + render(operand, context: .unary), .unary)
        case .binary(let op, let lhs, let rhs):
            let level = binaryLevel(op)
            let right = Level(rawValue: level.rawValue + 1) ?? .member
            return (render(lhs, context: level) + " " + op.rawValue + " " + render(rhs, context: right), level)
        case .and(let lhs, let rhs): return (render(lhs, context: .and) + " && " + render(rhs, context: .relation), .and)
        case .or(let lhs, let rhs): return (render(lhs, context: .or) + " || " + render(rhs, context: .and), .or)
        case .conditional(let condition, let then, let otherwise):
            let text = render(condition, context: .or) + " ? " + render(then, context: .or) + " : " + render(otherwise, context: .conditional)
            return (text, .conditional)
        case .comprehension(let macro, let range, let variable, let body, let transform):
            var arguments = [variable, render(body, context: .conditional)]
            if let transform { arguments.append(render(transform, context: .conditional)) }
            return (render(range, context: .member) + "." + macro.rawValue + "(" + arguments.joined(separator: ", ") + ")", .member)
        }
    }

    static func binaryLevel(_ op: CELBinaryOperator) -> Level {
        switch op {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .in: .relation
        case .add, .subtract: .addition
        case .multiply, .divide, .remainder: .multiplication
        }
    }

    static func fieldName(_ name: String) -> String {
        let isIdentifier = name.unicodeScalars.first.map { !("0"..."9").contains($0) } ?? false
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        return isIdentifier ? name : "`" + name + "`"
    }

    static func literal(_ value: CELValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let bool): return bool ? "true" : "false"
        case .int(let int): return String(int)
        case .uint(let uint): return String(uint) + "u"
        case .double(let double):
            guard double.isFinite else { return double.isNaN ? "double(\"NaN\")" : (double > 0 ? "double(\"Infinity\")" : "double(\"-Infinity\")") }
            return "\(double)"
        case .string(let string): return quoted(string)
        case .bytes(let bytes):
            return "b\"" + bytes.map { byte in
                (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
                    ? String(UnicodeScalar(byte)) : "\\x" + hex(byte)
            }.joined() + "\""
        case .list(let items): return "[" + items.map(literal).joined(separator: ", ") + "]"
        case .map(let map): return "{" + map.entries.map { literal($0.key.value) + ": " + literal($0.value) }.joined(separator: ", ") + "}"
        case .type(let type): return type.rawValue
        }
    }

    static func quoted(_ string: String) -> String {
        var text = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    text += "\\u" + String(repeating: "0", count: max(0, 4 - String(scalar.value, radix: 16).count))
                        + String(scalar.value, radix: 16)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}
