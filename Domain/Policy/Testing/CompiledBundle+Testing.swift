import Foundation

/// What the test runner needs of the engine: one policy evaluated alone, as if it were active
/// (docs/policies.md §6), and the bindings the engine gives its rules.
extension CompiledBundle {
    /// The policy `id` of this bundle, compiled alone with status `active`; nil when the bundle
    /// has no such policy. Compiling cannot fail for a policy that this bundle compiled, but the
    /// error is passed on rather than trusted away.
    func compiledAlone(policy id: String) -> Result<CompiledBundle, PolicyError>? {
        guard let policy = bundle.policies.first(where: { $0.id == id }) else { return nil }
        let active = Policy(
            id: policy.id, version: policy.version, status: .active, owner: policy.owner, refs: policy.refs, inputs: policy.inputs,
            variables: policy.variables, rules: policy.rules, thresholds: policy.thresholds, lists: policy.lists
        )
        return Result { () throws(PolicyError) in try CompiledBundle([active]) }
    }
}

extension CompiledBundle.CompiledPolicy {
    /// The names a rule of this policy sees for `input`: the declared inputs bound as the engine
    /// binds them, then the variables in order (a failing variable stays unbound), as in
    /// `CompiledBundle.evaluate`.
    func ruleBindings(for input: CanonicalJSON, in bundle: CompiledBundle) -> [String: CELValue] {
        var problems: [String] = []
        var bindings = bindInputs(bundle.inputs.resolve(input), problems: &problems)
        for (name, program) in variables {
            if let value = try? program.evaluate(bindings) { bindings[name] = value }
        }
        return bindings
    }
}
