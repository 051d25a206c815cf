/// Finds every declared input of a bundle in a decision's input document in one walk, and
/// converts each to its declared type once per decision, however many policies declare it.
///
/// Built when the bundle is compiled: the declared inputs, distinct by (name, type, default), are
/// the slots; their dotted names form a tree of path segments. Resolving walks only the parts of
/// the document that the tree names, looking each member up by name (matched exactly, by Unicode
/// scalars, as `CanonicalJSON.Object` names are), so the cost is proportional to the members of
/// the objects on declared paths, not to the number of policies.
struct PolicyInputResolver: Sendable {
    /// One declared input, as some policy declares it.
    struct Slot: Sendable {
        let input: PolicyInput
        /// The index of its dotted name in the tree's paths.
        let path: Int
    }

    /// What a slot holds for one document.
    enum Resolved: Sendable {
        case value(CELValue)
        /// Absent or `null`, and no default.
        case missing
        /// Present, and not a value of the declared type.
        case wrongType
    }

    private struct Child: Sendable {
        /// The segment, kept to compare byte for byte.
        let name: String
        let node: Int
    }

    private struct Node: Sendable {
        var children: [String: Child] = [:]
        /// The index of the path that ends here, if one does.
        var path: Int?
    }

    let slots: [Slot]
    private let nodes: [Node]
    private let pathCount: Int

    /// `inputs` in any order, repeated as often as policies declare them; `slotIndexes(of:)`
    /// gives a policy's slots.
    init(_ inputs: [PolicyInput]) {
        var nodes = [Node()]
        var paths: [String: Int] = [:]
        var slots: [Slot] = []
        for input in inputs where !slots.contains(where: { Self.same($0.input, input) }) {
            let path: Int
            if let known = paths[input.name] {
                path = known
            } else {
                path = paths.count
                paths[input.name] = path
                var node = 0
                for segment in input.name.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
                    if let child = nodes[node].children[segment] {
                        node = child.node
                    } else {
                        nodes.append(Node())
                        nodes[node].children[segment] = Child(name: segment, node: nodes.count - 1)
                        node = nodes.count - 1
                    }
                }
                precondition(nodes[node].path == nil, "one path per dotted name")
                nodes[node].path = path
            }
            slots.append(Slot(input: input, path: path))
        }
        self.slots = slots
        self.nodes = nodes
        self.pathCount = paths.count
    }

    /// The slot of each of `inputs`, in their order; each must have been given to `init`.
    func slotIndexes(of inputs: [PolicyInput]) -> [Int] {
        inputs.map { input in
            guard let index = slots.firstIndex(where: { Self.same($0.input, input) }) else {
                preconditionFailure("input \(input.name) was not given to the resolver")
            }
            return index
        }
    }

    /// Every slot's value for `document`, by slot index.
    func resolve(_ document: CanonicalJSON) -> [Resolved] {
        var found = [CanonicalJSON?](repeating: nil, count: pathCount)
        walk(document, node: 0, &found)
        return slots.map { slot in
            let present = found[slot.path].flatMap { $0 == .null ? nil : $0 }
            guard let json = present ?? slot.input.defaultValue else { return .missing }
            guard let value = CompiledBundle.value(json, as: slot.input.type) else { return .wrongType }
            return .value(value)
        }
    }

    private func walk(_ json: CanonicalJSON, node index: Int, _ found: inout [CanonicalJSON?]) {
        let node = nodes[index]
        if let path = node.path { found[path] = json }
        guard !node.children.isEmpty, case .object(let object) = json else { return }
        for member in object.members {
            // Swift's String equality is canonical equivalence; a name matches only byte for byte.
            guard let child = node.children[member.name], child.name.utf8.elementsEqual(member.name.utf8) else { continue }
            walk(member.value, node: child.node, &found)
        }
    }

    private static func same(_ a: PolicyInput, _ b: PolicyInput) -> Bool {
        a.name.utf8.elementsEqual(b.name.utf8) && a.type == b.type && a.defaultValue == b.defaultValue
    }
}
