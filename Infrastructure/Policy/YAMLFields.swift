import Domain

/// The keys of one mapping, checked against the keys its place allows.
struct YAMLFields {
    let pairs: [YAMLPair]
    let position: TextPosition

    subscript(key: String) -> YAMLNode? {
        pairs.first { $0.key.text == key }?.value
    }
}

/// Typed reads of a YAML tree, each failing with "path: expected …, found …" at the value.
struct YAMLFieldReader {
    let source: SourceText

    func fail(_ path: [PolicyPathComponent], _ message: String, at position: TextPosition) -> PolicyFileError {
        source.error(path.isEmpty ? message : "\(Self.describe(path)): \(message)", at: position)
    }

    func expected(_ what: String, _ node: YAMLNode, _ path: [PolicyPathComponent]) -> PolicyFileError {
        fail(path, "expected \(what), found \(node.kindDescription)", at: node.position)
    }

    /// A mapping whose keys are all in `known` (an unknown one is named, with the nearest known
    /// key when it is close) and hold every key of `required`.
    func fields(_ node: YAMLNode, _ path: [PolicyPathComponent], known: [String], required: [String], what: String) throws(PolicyFileError) -> YAMLFields {
        guard case .mapping(let pairs, let position) = node else { throw expected("\(what) (a mapping)", node, path) }
        for pair in pairs where !known.contains(pair.key.text) {
            var message = "unknown key '\(pair.key.text)'"
            if let near = Self.nearest(pair.key.text, in: known) { message += "; did you mean '\(near)'?" }
            message += " (known: \(known.joined(separator: ", ")))"
            throw fail(path, message, at: pair.key.position)
        }
        for key in required where !pairs.contains(where: { $0.key.text == key }) {
            throw fail(path, "missing required key '\(key)'", at: position)
        }
        return YAMLFields(pairs: pairs, position: position)
    }

    /// A mapping with keys of the writer's choosing (`inputs`, `variables`, `lists`).
    func pairs(_ node: YAMLNode, _ path: [PolicyPathComponent], what: String) throws(PolicyFileError) -> [YAMLPair] {
        guard case .mapping(let pairs, _) = node else { throw expected("\(what) (a mapping)", node, path) }
        return pairs
    }

    func sequence(_ node: YAMLNode, _ path: [PolicyPathComponent], what: String) throws(PolicyFileError) -> [YAMLNode] {
        guard case .sequence(let elements, _) = node else { throw expected("\(what) (a sequence)", node, path) }
        return elements
    }

    /// Text: any scalar but null, as written (after unquoting), so `version: 1.10` is "1.10".
    func text(_ node: YAMLNode, _ path: [PolicyPathComponent], what: String = "text") throws(PolicyFileError) -> String {
        guard case .scalar(let scalar) = node, CoreScalar(scalar) != .null else { throw expected(what, node, path) }
        return scalar.text
    }

    func scalar(_ node: YAMLNode, _ path: [PolicyPathComponent], what: String) throws(PolicyFileError) -> YAMLScalar {
        guard case .scalar(let scalar) = node, CoreScalar(scalar) != .null else { throw expected(what, node, path) }
        return scalar
    }

    /// A plain integer scalar (`40`, `-5`); a quoted one is a string.
    func integer(_ node: YAMLNode, _ path: [PolicyPathComponent]) throws(PolicyFileError) -> Int {
        guard case .scalar(let scalar) = node else { throw expected("an integer", node, path) }
        switch CoreScalar(scalar) {
        case .integer(let value): return Int(value)
        case .integerOutOfRange: throw fail(path, "the integer \(scalar.text) does not fit in 64 bits", at: node.position)
        case .float: throw fail(path, "expected an integer, found the float \(scalar.text): amounts are integers in minor units", at: node.position)
        default: throw expected("an integer", node, path)
        }
    }

    /// One of the raw values of `T` (`status`, `force`, an input type, an outcome).
    func choice<T: RawRepresentable<String> & CaseIterable>(_ node: YAMLNode, _ path: [PolicyPathComponent], as type: T.Type) throws(PolicyFileError) -> T {
        let names = T.allCases.map(\.rawValue)
        let what = "one of \(names.joined(separator: ", "))"
        guard case .scalar(let scalar) = node, case .string(let text) = CoreScalar(scalar) else { throw expected(what, node, path) }
        guard let value = T(rawValue: text) else {
            var message = "'\(text)' is not \(what)"
            if let near = Self.nearest(text, in: names) { message += "; did you mean '\(near)'?" }
            throw fail(path, message, at: node.position)
        }
        return value
    }

    /// A YAML value as JSON: null, booleans, integers within ±(2^53 − 1), strings, sequences
    /// and mappings (keys as written). A float is refused: amounts are integers in minor units.
    func json(_ node: YAMLNode, _ path: [PolicyPathComponent], depth: Int = 0) throws(PolicyFileError) -> CanonicalJSON {
        switch node {
        case .scalar(let scalar):
            switch CoreScalar(scalar) {
            case .null: return .null
            case .bool(let value): return .bool(value)
            case .string(let text): return .string(text)
            case .float: throw fail(path, "the float \(scalar.text) is not accepted: amounts are integers in minor units", at: node.position)
            case .integerOutOfRange: throw fail(path, "the integer \(scalar.text) is beyond ±(2^53 − 1)", at: node.position)
            case .integer(let value):
                guard let json = CanonicalJSON(exactly: value) else { throw fail(path, "the integer \(scalar.text) is beyond ±(2^53 − 1)", at: node.position) }
                return json
            }
        case .sequence(let elements, let position):
            guard depth < CanonicalJSON.depthMax else { throw fail(path, "nested deeper than \(CanonicalJSON.depthMax) levels", at: position) }
            var array: [CanonicalJSON] = []
            for (index, element) in elements.enumerated() { array.append(try json(element, path + [.index(index)], depth: depth + 1)) }
            return .array(array)
        case .mapping(let pairs, let position):
            guard depth < CanonicalJSON.depthMax else { throw fail(path, "nested deeper than \(CanonicalJSON.depthMax) levels", at: position) }
            var members: [CanonicalJSON.Object.Member] = []
            for pair in pairs {
                guard CoreScalar(pair.key) != .null else { throw fail(path, "a key must not be null", at: pair.key.position) }
                members.append(.init(name: pair.key.text, value: try json(pair.value, path + [.key(pair.key.text)], depth: depth + 1)))
            }
            guard let object = CanonicalJSON.Object(uniqueMembers: members) else {
                throw fail(path, "two keys of this mapping are the same", at: position)
            }
            return .object(object)
        }
    }

    /// `rules[2].when`, as `PolicyError.pathDescription` writes it.
    static func describe(_ path: [PolicyPathComponent]) -> String {
        var text = ""
        for component in path {
            if case .key = component, !text.isEmpty { text += "." }
            text += component.description
        }
        return text
    }

    /// The candidate nearest to `word` in edit distance, when it is close: at most a third of
    /// the word's length, and at least 1 (`tresholds` → `thresholds`, `reson` → `reason`,
    /// `bgi` → `big`).
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let allowed = max(1, word.unicodeScalars.count / 3)
        let scored = candidates.map { (candidate: $0, distance: editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= allowed else { return nil }
        return best.candidate
    }

    /// Edits (insert, delete, replace, swap two neighbours) from one to the other, over their
    /// first 64 Unicode scalars (optimal string alignment).
    static func editDistance(_ left: String, _ right: String) -> Int {
        let a = Array(left.unicodeScalars.prefix(64))
        let b = Array(right.unicodeScalars.prefix(64))
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
