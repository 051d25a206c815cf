import Domain
import Foundation
import PolicyAdapters
import Testing

@Suite("Policy folder: loading")
struct PolicyLoadingTests {
    static let structuring = """
        # Cash structuring (31 USC 5324).
        policy: cash-structuring
        version: "2026.12.1"
        status: active
        owner: aml-team@example.com
        refs:
          - 31 CFR 1010.311 (currency transaction reports)
          - 31 USC 5324 (structuring)
        inputs:
          txn.amount_minor: int
          txn.currency: string
          txn.kind: string
          features.cash_24h_minor: int
          txn.counterparty_name: {type: string, default: ""}
        lists:
          sanctions: data/sanctions.csv
        variables:
          usd_cash: txn.kind == "cash" && txn.currency == "USD"
        rules:
          - id: just-under-ctr
            when: usd_cash && txn.amount_minor >= 900000 && txn.amount_minor < 1000000
            score: 40
            reason: Cash deposit just under the USD 10,000 CTR threshold
          - id: aggregate-over-ctr
            when: usd_cash && features.cash_24h_minor + txn.amount_minor > 1000000
            score: 30
            force: review
            reason: Cash in 24 h over USD 10,000 in pieces each under it
          - id: listed
            when: name_distance(txn.counterparty_name, "sanctions") <= 1
            score: 0
            force: block
            reason: Counterparty on the sanctions list
        thresholds:
          review: 30
          block: 60
          decline: 100

        """

    /// The same policy: other key order, comments, quoting, flow and block styles.
    static let structuringRewritten = """
        thresholds: {decline: 100, block: 60, review: 30}
        rules:
          - when: 'usd_cash && txn.amount_minor >= 900000 && txn.amount_minor < 1000000'
            reason: "Cash deposit just under the USD 10,000 CTR threshold"
            id: "just-under-ctr"
            score: 40   # the score
          - id: aggregate-over-ctr
            force: "review"
            when: >-
              usd_cash && features.cash_24h_minor +
              txn.amount_minor > 1000000
            score: +30
            reason: 'Cash in 24 h over USD 10,000 in pieces each under it'
          - {id: listed, score: 0, force: block, reason: Counterparty on the sanctions list,
             when: "name_distance(txn.counterparty_name, \\"sanctions\\") <= 1"}
        variables:
          usd_cash: |-
            txn.kind == "cash" && txn.currency == "USD"
        lists: {sanctions: "data/sanctions.csv"}
        inputs:
          txn.counterparty_name:
            default: ''
            type: string
          features.cash_24h_minor: int
          txn.kind: string
          txn.currency: "string"
          txn.amount_minor: int
        refs: ["31 CFR 1010.311 (currency transaction reports)", '31 USC 5324 (structuring)']
        owner: "aml-team@example.com"
        status: active
        version: '2026.12.1'
        policy: cash-structuring
        """

    /// BOM, CR LF, an extra column, quotes with a comma and a doubled quote, an alias, an empty line.
    static let sanctionsCSV = "\u{FEFF}id,name,program\r\nS-1,\"PETROV, Ivan\",RUSSIA-EO14024\r\nS-1,Ivan Petrov,RUSSIA-EO14024\r\n\r\nS-2,\"Acme \"\"Global\"\" Ltd\",SDGT\r\n"

    @Test func aValidBundleLoads() throws {
        let fixture = try Fixture([
            "cash.yaml": Self.structuring, "data/sanctions.csv": Self.sanctionsCSV,
            "big.yaml": policyYAML(id: "big-amounts"), "cash.test.yaml": "tests: []\n", "notes.txt": "not a policy",
            "archive/old.yaml": "not: read",
        ])
        let loaded = try PolicyFolder.load(fixture.folder)
        #expect(loaded.bundle.policies.map(\.id) == ["big-amounts", "cash-structuring"])
        #expect(loaded.files == ["big-amounts": fixture.path("big.yaml"), "cash-structuring": fixture.path("cash.yaml")])
        let policy = try #require(loaded.bundle.policies.last)
        #expect(policy.version == "2026.12.1" && policy.status == .active && policy.refs.count == 2)
        #expect(policy.inputs.map(\.name) == ["txn.amount_minor", "txn.currency", "txn.kind", "features.cash_24h_minor", "txn.counterparty_name"])
        #expect(policy.inputs.last == PolicyInput(name: "txn.counterparty_name", type: .string, defaultValue: ""))
        #expect(policy.rules.map(\.id) == ["just-under-ctr", "aggregate-over-ctr", "listed"])
        #expect(policy.rules[1].force == .review && policy.rules[2].force == .block)
        #expect(policy.thresholds == PolicyThresholds(review: 30, block: 60, decline: 100))
        #expect(policy.lists == [PolicyNameList(name: "sanctions", source: "data/sanctions.csv", entries: [
            NameListEntry(id: "S-1", name: "PETROV, Ivan"), NameListEntry(id: "S-1", name: "Ivan Petrov"),
            NameListEntry(id: "S-2", name: "Acme \"Global\" Ltd"),
        ])])
        #expect(loaded.compiled.bundleHash.count == 64)
    }

    @Test func theHashIgnoresLayoutKeyOrderCommentsAndQuoting() throws {
        let first = try Fixture(["cash.yaml": Self.structuring, "data/sanctions.csv": Self.sanctionsCSV])
        let second = try Fixture(["p.yaml": Self.structuringRewritten, "data/sanctions.csv": Self.sanctionsCSV])
        let one = try PolicyFolder.load(first.folder)
        let other = try PolicyFolder.load(second.folder)
        // Equal content (inputs are a set of names: their order in the file does not count).
        #expect(one.bundle.canonicalJSON == other.bundle.canonicalJSON)
        #expect(one.bundle.policies[0].rules == other.bundle.policies[0].rules)
        #expect(one.compiled.bundleHash == other.compiled.bundleHash)
        // The list's entries are part of the hash: the same file with LF instead of CR LF
        // and without the BOM hashes the same; another entry does not.
        try second.write("data/sanctions.csv", "id,name\nS-1,\"PETROV, Ivan\"\nS-1,Ivan Petrov\nS-2,\"Acme \"\"Global\"\" Ltd\"\n")
        #expect(try PolicyFolder.load(second.folder).compiled.bundleHash == one.compiled.bundleHash)
        try second.write("data/sanctions.csv", "id,name\nS-1,\"PETROV, Ivan\"\n")
        #expect(try PolicyFolder.load(second.folder).compiled.bundleHash != one.compiled.bundleHash)
    }

    @Test func expressionsCountAsWrittenAfterUnquoting() throws {
        let plain = try Fixture(["p.yaml": policyYAML()])
        let clipped = try Fixture(["p.yaml": policyYAML(rules: "  - id: big\n    when: |\n      txn.amount_minor >= 900000\n    score: 40\n    reason: large\n")])
        let stripped = try Fixture(["p.yaml": policyYAML(rules: "  - id: big\n    when: |-\n      txn.amount_minor >= 900000\n    score: 40\n    reason: large\n")])
        let plainHash = try PolicyFolder.load(plain.folder).compiled.bundleHash
        // `|` keeps the final line break, so the expression (and the hash) differs; `|-` strips it.
        #expect(try PolicyFolder.load(clipped.folder).bundle.policies[0].rules[0].when == "txn.amount_minor >= 900000\n")
        #expect(try PolicyFolder.load(clipped.folder).compiled.bundleHash != plainHash)
        #expect(try PolicyFolder.load(stripped.folder).compiled.bundleHash == plainHash)
    }

    @Test func plainScalarsFollowTheCoreSchema() throws {
        // `version: 1.10` is text as written; `yes` is a string, so as a status it is not a choice.
        let fixture = try Fixture(["p.yaml": policyYAML().replacingOccurrences(of: "version: \"1\"", with: "version: 1.10")])
        #expect(try PolicyFolder.load(fixture.folder).bundle.policies[0].version == "1.10")
        try fixture.write("p.yaml", policyYAML().replacingOccurrences(of: "status: active", with: "status: yes"))
        let error = try #require(fixture.loadError())
        #expect(error.place == "p.yaml:3:9")
        #expect(error.reason == "status: 'yes' is not one of draft, shadow, active, retired")
        // Hexadecimal and octal integers are integers; `1_000` is not (YAML 1.1 only).
        try fixture.write("p.yaml", policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 0x10\n    reason: r\n"))
        #expect(try PolicyFolder.load(fixture.folder).bundle.policies[0].rules[0].score == 16)
        try fixture.write("p.yaml", policyYAML(rules: "  - id: big\n    when: txn.amount_minor > 0\n    score: 1_000\n    reason: r\n"))
        #expect(fixture.loadError()?.reason == "rules[0].score: expected an integer, found the string '1_000'")
    }

    @Test func anEmptyFolderIsNotABundle() throws {
        let fixture = try Fixture(["only.test.yaml": "tests: []\n"])
        let error = try #require(fixture.loadError())
        #expect(error.location == PolicySourceLocation(file: fixture.folder, line: 1, column: 1))
        #expect(error.reason == "no policy files (*.yaml) in the folder")
        let missing = try #require(Fixture().loadErrorOf(folder: fixture.path("nowhere")))
        #expect(missing.reason == "cannot read the folder")
    }
}

extension Fixture {
    func loadErrorOf(folder: String) -> PolicyFileError? {
        do {
            _ = try PolicyFolder.load(folder)
            return nil
        } catch {
            return error
        }
    }
}
