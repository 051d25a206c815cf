import Domain

/// Brings a Domain `PolicyError` (a `path` into the policy document, and for an expression a
/// line and column inside it) back to the file: the node at the path, and the place inside the
/// scalar. Works for any path and any expression position, so errors that the Domain adds later
/// (the CEL checker's) land in the right place without changes here.
enum PolicyErrorLocator {
    /// Sections whose keys are names chosen by the writer: an error about an entry (its name,
    /// a duplicate, a list file's entries) is shown at the name, unless it is inside the value.
    static let namedSections: Set<String> = ["inputs", "variables", "lists"]

    static func locate(_ error: PolicyError, in root: YAMLNode, source: SourceText) -> PolicyFileError {
        var node = root
        var keyScalar: YAMLScalar?
        for component in error.path {
            keyScalar = nil
            switch (component, node) {
            case (.key(let key), .mapping(let pairs, _)):
                guard let pair = pairs.first(where: { $0.key.text == key }) else { return report(error, at: node.position, source) }
                keyScalar = pair.key
                node = pair.value
            case (.index(let index), .sequence(let elements, _)) where elements.indices.contains(index):
                node = elements[index]
            default:
                return report(error, at: node.position, source)
            }
        }
        if let place = error.expressionPosition, case .scalar(let scalar) = node {
            // nil only if the file does not match the scalar's value (see ScalarSourceMap):
            // then the scalar's start is the best place known.
            return report(error, at: ScalarSourceMap.position(of: place, in: scalar, source: source) ?? scalar.position, source)
        }
        if error.expressionPosition == nil, error.path.count == 2, case .key(let section) = error.path[0],
            namedSections.contains(section), let keyScalar
        {
            return report(error, at: keyScalar.position, source)
        }
        return report(error, at: node.position, source)
    }

    private static func report(_ error: PolicyError, at position: TextPosition, _ source: SourceText) -> PolicyFileError {
        let path = YAMLFieldReader.describe(error.path)
        return source.error(path.isEmpty ? error.message : "\(path): \(error.message)", at: position)
    }
}
