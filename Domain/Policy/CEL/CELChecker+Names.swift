/// Names: identifiers, chains of selections and `has()`, resolved as `CELEvaluator` resolves
/// them: a comprehension variable, else the longest declared dotted prefix of the chain (the
/// rest selects into its value, which must be a map or dyn), else a type name.
extension CELChecker {
    /// The parts of `a.b.c` (identifiers and selections only), each where it is written.
    typealias Path = [(name: String, at: CELSourcePosition)]

    static func qualifiedPath(_ expression: CELExpression, _ map: CELSourceMap) -> Path? {
        switch expression {
        case .identifier(let name): return [(name, map.position)]
        case .select(let operand, let field): return qualifiedPath(operand, map.children[0]).map { $0 + [(field, map.position)] }
        default: return nil
        }
    }

    mutating func identifier(_ name: String, at position: CELSourcePosition) throws(CELParseError) -> CELCheckedType {
        if isLocal(name) { return .dyn }
        if let declared = declarations.names[name] { return declared }
        if CELType(typeName: name) != nil { return .type }
        throw unresolved([(name, position)])
    }

    mutating func select(_ operand: CELExpression, field: String, _ map: CELSourceMap) throws(CELParseError) -> CELCheckedType {
        if let root = Self.qualifiedPath(operand, map.children[0]), !isLocal(root[0].name) {
            return try qualified(root + [(field, map.position)])
        }
        return try Self.field(of: try type(operand, map.children[0]), field, at: map.position)
    }

    /// `has(operand.field)`: the operand must be a map (or dyn). A declared input is not a field
    /// of a map: `has(txn.amount_minor)` with `txn.amount_minor` declared fails when evaluated
    /// (the bindings hold `txn.amount_minor`, not a map `txn`), and is refused here with a hint.
    mutating func presence(_ operand: CELExpression, field: String, _ map: CELSourceMap) throws(CELParseError) -> CELCheckedType {
        if let root = Self.qualifiedPath(operand, map.children[0]), !isLocal(root[0].name), declaredPrefix(root) == nil {
            let name = (root.map(\.name) + [field]).joined(separator: ".")
            if declarations.names[name] != nil || declarations.isNamespace(name) {
                throw CELParseError(
                    "has() cannot test the declared input '\(name)': a declared input is bound, or the rules that read it fail; "
                        + "give it a default instead", at: map.position, kind: .undeclaredReference)
            }
        }
        let operandType = try type(operand, map.children[0])
        guard operandType.mayBe(.map) else { throw Self.noOverload("has()", [operandType], at: map.position) }
        return .bool
    }

    private func isLocal(_ name: String) -> Bool { locals.contains(name) }

    /// The length of the longest declared prefix of `path`, if any.
    private func declaredPrefix(_ path: Path) -> Int? {
        stride(from: path.count, through: 1, by: -1).first { length in
            declarations.names[path[0..<length].map(\.name).joined(separator: ".")] != nil
        }
    }

    private func qualified(_ path: Path) throws(CELParseError) -> CELCheckedType {
        let fields: ArraySlice<(name: String, at: CELSourcePosition)>
        var current: CELCheckedType
        if let length = declaredPrefix(path) {
            current = declarations.names[path[0..<length].map(\.name).joined(separator: ".")] ?? .dyn
            fields = path[length...]
        } else if CELType(typeName: path[0].name) != nil {
            current = .type
            fields = path[1...]
        } else {
            throw unresolved(path)
        }
        for field in fields { current = try Self.field(of: current, field.name, at: field.at) }
        return current
    }

    /// `operand.field` on a value of type `operand`: a map's member, of a type known only then.
    static func field(of operand: CELCheckedType, _ field: String, at position: CELSourcePosition) throws(CELParseError) -> CELCheckedType {
        guard operand.mayBe(.map) else { throw noOverload("field selection '.\(field)'", [operand], at: position) }
        return .dyn
    }

    /// No prefix of `path` is declared (nor is its root a type name): either it names a namespace
    /// of declared names (`txn` for `txn.amount_minor`), which is not a value, or its first part
    /// that does not lead to a declared name is undeclared.
    private func unresolved(_ path: Path) -> CELParseError {
        let names = path.map(\.name)
        let written = names.joined(separator: ".")
        guard let bad = (0..<path.count).first(where: { !declarations.isNamespace(names[0...$0].joined(separator: ".")) }) else {
            let example = declarations.names.keys.filter { $0.hasPrefix(written + ".") }.min() ?? written
            return CELParseError(
                "'\(written)' is not a value: it is the start of declared names such as '\(example)'",
                at: path[path.count - 1].at, kind: .undeclaredReference)
        }
        var message = "undeclared reference to '\(written)'"
        if let suggestion = suggestion(for: written) { message += " (did you mean '\(suggestion)'?)" }
        return CELParseError(message, at: path[bad].at, kind: .undeclaredReference)
    }

    /// The declared name closest to `written`, when it is within 2 edits.
    private func suggestion(for written: String) -> String? {
        let target = Array(written.unicodeScalars)
        var best: (name: String, distance: Int)?
        for name in declarations.names.keys.sorted() {
            let distance = Self.editDistance(target, Array(name.unicodeScalars), cap: 3)
            if distance <= 2, distance < (best?.distance ?? 3) { best = (name, distance) }
        }
        return best?.name
    }

    /// Levenshtein distance, capped at `cap` (names are at most a few hundred scalars).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], cap: Int) -> Int {
        guard abs(a.count - b.count) < cap else { return cap }
        guard !a.isEmpty, !b.isEmpty else { return min(max(a.count, b.count), cap) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return min(previous[b.count], cap)
    }
}
