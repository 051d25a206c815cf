/// Calls: extension functions first (none has a standard function's name), then the standard
/// ones (`CELStandardFunctions`), as `CELEvaluator.call` dispatches them.
extension CELChecker {
    mutating func call(
        _ name: String, target: CELExpression?, arguments: [CELExpression], _ map: CELSourceMap
    ) throws(CELParseError) -> CELCheckedType {
        let all = (target.map { [$0] } ?? []) + arguments
        precondition(map.children.count == all.count, "a call's map has one child an argument, the target first")
        var types: [CELCheckedType] = []
        // The target is written before the name: its problems come first.
        if let target { types.append(try type(target, map.children[0])) }
        let overloads = try signature(name, isMethod: target != nil, argumentCount: all.count, at: map.position)
        for index in types.count..<all.count { types.append(try type(all[index], map.children[index])) }
        guard let result = CELOverload.resolve(overloads, types) else {
            throw Self.noOverload("'\(name)'", types, at: map.position)
        }
        if let function = declarations.functions[name], let check = function.check, let problem = check(all) {
            precondition(all.indices.contains(problem.argument), "an argument problem names one of the call's arguments")
            throw CELParseError(problem.message, at: map.children[problem.argument].start, kind: .invalidArgument)
        }
        if name == "matches", case .literal(.string(let pattern)) = all[1] {
            do {
                _ = try CELRegex(pattern)
            } catch {
                throw CELParseError("invalid pattern: \(error.description)", at: map.children[1].start, kind: .invalidArgument)
            }
        }
        return result
    }

    /// The overloads of `name` called in this form with this many arguments (the target
    /// included), or the reason it cannot be called so.
    private func signature(
        _ name: String, isMethod: Bool, argumentCount: Int, at position: CELSourcePosition
    ) throws(CELParseError) -> [CELOverload] {
        let global: Bool, method: Bool, arity: Int, overloads: [CELOverload]
        if let function = declarations.functions[name] {
            global = function.form == .global
            method = function.form == .method
            arity = function.argumentTypes.count
            overloads = [CELOverload(function.argumentTypes, function.resultType)]
        } else if let standard = CELStandardFunctions.signatures[name] {
            (global, method, arity, overloads) = (standard.global, standard.method, standard.arity, standard.overloads)
        } else if let macro = CELMacro(rawValue: name) {
            let form = macro == .map ? "list.map(x, expression) or list.map(x, predicate, expression)" : "list.\(name)(x, predicate)"
            throw CELParseError("'\(name)' is a macro: write \(form)", at: position, kind: .wrongArguments)
        } else {
            throw CELParseError("unknown function '\(name)'", at: position, kind: .unknownFunction)
        }
        if isMethod && !method {
            throw CELParseError("'\(name)' is not a method: write \(name)(…)", at: position, kind: .wrongArguments)
        }
        if !isMethod && !global {
            throw CELParseError("'\(name)' is a method: write x.\(name)(…)", at: position, kind: .wrongArguments)
        }
        guard argumentCount == arity else {
            let expected = isMethod ? arity - 1 : arity
            let given = isMethod ? argumentCount - 1 : argumentCount
            let noun = expected == 1 ? "argument" : "arguments"
            throw CELParseError("'\(name)' takes \(expected) \(noun), not \(given)", at: position, kind: .wrongArguments)
        }
        return overloads
    }
}
