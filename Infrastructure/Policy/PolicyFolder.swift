import Domain

/// A bundle read from its folder: the validated bundle, the compiled one, and each policy's file.
public struct LoadedBundle: Sendable {
    /// The folder, as it was given.
    public let folder: String
    public let bundle: PolicyBundle
    public let compiled: CompiledBundle
    /// For each policy id, its file (`folder/name.yaml`).
    public let files: [String: String]
}

/// Policy bundles on disk (docs/policies.md §1, §2, §5, §6): every `*.yaml` file directly in a
/// folder is a policy, every `*.test.yaml` file a test suite, and data files (CSV name lists,
/// JSON-lines case tables) are named by paths relative to the folder. Every problem, from a YAML
/// syntax error to a CEL error inside a `when`, is a `PolicyFileError` at its file, line and column.
public enum PolicyFolder {
    /// Reads, validates and compiles the bundle in `folder`: its `*.yaml` files (not
    /// `*.test.yaml`, not sub-folders), in byte order of their names, one policy each.
    public static func load(_ folder: String) throws(PolicyFileError) -> LoadedBundle {
        let names = try fileNames(in: folder).filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }
        guard !names.isEmpty else { throw folderError(folder, "no policy files (*.yaml) in the folder") }
        if names.count > PolicyLimits.policiesPerBundleMax {
            throw PolicyFileError(
                "more than \(PolicyLimits.policiesPerBundleMax) policies in the bundle",
                at: PolicySourceLocation(file: BundleFiles.join(folder, names[PolicyLimits.policiesPerBundleMax]), line: 1, column: 1), sourceLine: nil
            )
        }
        var read: [String: (source: SourceText, root: YAMLNode)] = [:]
        var policies: [Policy] = []
        for name in names {
            let source = try self.source(BundleFiles.join(folder, name), folder: folder, bytesMax: PolicyFileLimits.yamlFileBytesMax)
            let root = try YAMLReader.read(source)
            let reader = YAMLFieldReader(source: source)
            let document = PolicyDocument(reader: reader) { (list, file) throws(PolicyFileError) in
                try readList(list, file, folder: folder, reader: reader)
            }
            let policy = try document.policy(root)
            if let other = read[policy.id] {
                let at = (try? reader.fields(root, [], known: PolicyDocument.keys, required: [], what: ""))?["policy"]?.position
                throw reader.fail([.key("policy")], "duplicate policy id '\(policy.id)' (also in \(other.source.file))", at: at ?? TextPosition(line: 1, column: 1))
            }
            read[policy.id] = (source, root)
            policies.append(policy)
        }
        func locate(_ error: PolicyError) -> PolicyFileError {
            guard let id = error.policy, let file = read[id] else { return folderError(folder, error.description) }
            return PolicyErrorLocator.locate(error, in: file.root, source: file.source)
        }
        let bundle: PolicyBundle
        let compiled: CompiledBundle
        do { bundle = try PolicyBundle(policies) } catch { throw locate(error) }
        do { compiled = try CompiledBundle(bundle) } catch { throw locate(error) }
        return LoadedBundle(folder: folder, bundle: bundle, compiled: compiled, files: read.mapValues(\.source.file))
    }

    /// Reads the `*.test.yaml` files of `folder` (docs/policies.md §6), in byte order of their
    /// names. A test file's policy is the one it names with `policy:`, or else the policy of
    /// `<name>.yaml` beside it; either way it must be a policy of `loaded`.
    public static func loadTests(_ folder: String, for loaded: LoadedBundle) throws(PolicyFileError) -> [PolicyTestSuite] {
        var suites: [PolicyTestSuite] = []
        for name in try fileNames(in: folder) where name.hasSuffix(".test.yaml") {
            let source = try self.source(BundleFiles.join(folder, name), folder: folder, bytesMax: PolicyFileLimits.yamlFileBytesMax)
            let reader = YAMLFieldReader(source: source)
            let policyFile = BundleFiles.join(folder, String(name.dropLast(".test.yaml".count)) + ".yaml")
            let file = PolicyTestFile(
                reader: reader,
                policy: { (named) throws(PolicyFileError) in try policy(named, file: policyFile, loaded: loaded, reader: reader) },
                readTable: { (table, group, checks) throws(PolicyFileError) in
                    let source = try dataSource(table, path: [.key("table")], folder: folder, reader: reader)
                    return try PolicyTestTable.read(source, group: group, checks: checks)
                }
            )
            suites.append(try file.suite(try YAMLReader.read(source)))
        }
        return suites
    }

    /// A decision's input document for `custos policy eval --input FILE`: one JSON object of at
    /// most `PolicyFileLimits.jsonBytesMax` bytes. Errors name the line and column but never show
    /// the file's text, which may hold account numbers and names.
    public static func loadInput(_ file: String) throws(PolicyFileError) -> CanonicalJSON {
        func fail(_ reason: String, _ line: Int = 1, _ column: Int = 1) -> PolicyFileError {
            PolicyFileError(reason, at: PolicySourceLocation(file: file, line: line, column: column), sourceLine: nil)
        }
        let bytes: [UInt8]
        switch BundleFiles.read(file, bytesMax: PolicyFileLimits.jsonBytesMax) {
        case .success(let read): bytes = read
        case .failure(let problem): throw fail("cannot read the input file: \(problem.reason)")
        }
        let value: CanonicalJSON
        do { value = try CanonicalJSON.parse(bytes) } catch { throw fail(JSONReasons.reason(error), error.line, error.column) }
        guard case .object = value else { throw fail("the input must be a JSON object: the decision's input document (txn, features)") }
        return value
    }

    // MARK: - Files

    private static func fileNames(in folder: String) throws(PolicyFileError) -> [String] {
        guard let names = BundleFiles.names(in: folder) else { throw folderError(folder, "cannot read the folder") }
        return names
    }

    private static func folderError(_ folder: String, _ reason: String) -> PolicyFileError {
        PolicyFileError(reason, at: PolicySourceLocation(file: folder, line: 1, column: 1), sourceLine: nil)
    }

    /// A policy or test file (its own errors are at its line 1, column 1).
    private static func source(_ path: String, folder: String, bytesMax: Int) throws(PolicyFileError) -> SourceText {
        switch BundleFiles.read(path, inside: folder, bytesMax: bytesMax) {
        case .success(let bytes): return try SourceText(file: path, bytes: bytes)
        case .failure(let problem):
            throw PolicyFileError("the file is \(problem.reason)", at: PolicySourceLocation(file: path, line: 1, column: 1), sourceLine: nil)
        }
    }

    /// A data file named by `scalar` (errors about the file itself are shown at the scalar).
    private static func dataSource(
        _ scalar: YAMLScalar, path: [PolicyPathComponent], folder: String, reader: YAMLFieldReader
    ) throws(PolicyFileError) -> SourceText {
        if let refusal = BundleFiles.refusal(ofRelativePath: scalar.text) { throw reader.fail(path, refusal, at: scalar.position) }
        let file = BundleFiles.join(folder, scalar.text)
        switch BundleFiles.read(file, inside: folder, bytesMax: PolicyFileLimits.dataFileBytesMax) {
        case .success(let bytes): return try SourceText(file: file, bytes: bytes)
        case .failure(let problem): throw reader.fail(path, "'\(scalar.text)' is \(problem.reason)", at: scalar.position)
        }
    }

    private static func readList(_ name: String, _ file: YAMLScalar, folder: String, reader: YAMLFieldReader) throws(PolicyFileError) -> PolicyNameList {
        let source = try dataSource(file, path: [.key("lists"), .key(name)], folder: folder, reader: reader)
        return try NameListCSV.read(source, name: name, sourcePath: file.text)
    }

    private static func policy(_ named: YAMLScalar?, file: String, loaded: LoadedBundle, reader: YAMLFieldReader) throws(PolicyFileError) -> Policy {
        let ids = loaded.bundle.policies.map(\.id)
        guard let named else {
            guard let id = loaded.files.first(where: { $0.value == file })?.key, let policy = loaded.bundle.policies.first(where: { $0.id == id }) else {
                throw reader.fail([], "no policy file \(file) beside this test file: name the policy with 'policy:'", at: TextPosition(line: 1, column: 1))
            }
            return policy
        }
        guard let policy = loaded.bundle.policies.first(where: { $0.id == named.text }) else {
            var message = "no policy '\(named.text)' in the bundle"
            if let near = YAMLFieldReader.nearest(named.text, in: ids) { message += "; did you mean '\(near)'?" }
            throw reader.fail([.key("policy")], message, at: named.position)
        }
        return policy
    }
}
