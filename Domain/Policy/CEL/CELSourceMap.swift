/// Where each node of a parsed `CELExpression` is in the source, in the shape of the expression:
/// one `CELSourceMap` a node, with its children in the order `CELSourceMap.children` documents.
/// It is built by the parser beside the expression and used only at compile time (the checker),
/// so that the expression itself, which is evaluated, carries nothing but what evaluation needs.
public struct CELSourceMap: Sendable, Equatable {
    /// The token that names the node: an identifier or literal's first character, a selected
    /// field's name, a function's or macro's name, an operator (`+`, `!`, `&&`, `?`, the `[` of an
    /// index), the `[` of a list and the `{` of a map, `has` of a presence test, the `-` of a
    /// negative number literal.
    public let position: CELSourcePosition
    /// The children's maps, in this order: `select` and `presence` their operand; `index` the
    /// operand then the index; `call` the target (if any) then the arguments; `list` the items;
    /// `map` each key then its value; `unary` the operand; `binary`, `and`, `or` left then right;
    /// `conditional` the condition, then, else; `comprehension` the range, the body, then the
    /// transform (if any). Literals and identifiers have none.
    public let children: [CELSourceMap]

    public init(position: CELSourcePosition, children: [CELSourceMap] = []) {
        self.position = position
        self.children = children
    }

    /// The leftmost position in the node's subtree: where its text starts (not counting an
    /// opening parenthesis).
    public var start: CELSourcePosition {
        var best = position
        for child in children {
            let candidate = child.start
            if (candidate.line, candidate.column) < (best.line, best.column) { best = candidate }
        }
        return best
    }
}
