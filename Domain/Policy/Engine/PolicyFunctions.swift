/// The CEL extension functions that policies may call (docs/policies.md §5).
enum PolicyFunctions {
    static let nameDistanceName = "name_distance"

    /// `name_distance(name, "list")`: the screening distance (0 to `NameScreeningIndex.distanceCap`)
    /// between `name` and the policy's list of that name. The list must be a string literal naming
    /// one of `lists` (checked at compile time); `lists` holds each list's index, built once when
    /// the bundle is compiled and shared by every expression of the policy.
    static func nameDistance(lists: [String: NameScreeningIndex]) -> CELExtensionFunction {
        let declared = lists.isEmpty ? "the policy declares no lists" : "the policy's lists are " + lists.keys.sorted().joined(separator: ", ")
        return CELExtensionFunction(
            name: nameDistanceName, argumentTypes: [.string, .string], resultType: .int,
            check: { arguments in
                guard case .literal(.string(let list)) = arguments[1] else {
                    return .init(argument: 1, message: "the list of \(nameDistanceName) must be a string literal naming a list; \(declared)")
                }
                guard lists[list] != nil else {
                    return .init(argument: 1, message: "unknown list '\(list)'; \(declared)")
                }
                return nil
            },
            implementation: { arguments throws(CELEvalError) in
                // The checker let only declared literals through; this guards unchecked misuse.
                guard case .string(let name) = arguments[0], case .string(let list) = arguments[1], let index = lists[list] else {
                    throw .invalidArgument("\(nameDistanceName): not a declared list")
                }
                return .int(Int64(index.distance(to: name)))
            })
    }
}
