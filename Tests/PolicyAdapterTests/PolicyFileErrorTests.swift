import Domain
import PolicyAdapters
import Testing

@Suite("Policy file errors")
struct PolicyFileErrorTests {
    @Test func renderedPutsACaretUnderTheColumn() {
        let error = PolicyFileError("bad", at: PolicySourceLocation(file: "p.yaml", line: 3, column: 5), sourceLine: "\tab cd")
        #expect(error.rendered == "p.yaml:3:5: bad\n\tab cd\n\t   ^")
        let pastEnd = PolicyFileError("end", at: PolicySourceLocation(file: "p.yaml", line: 1, column: 4), sourceLine: "ab")
        #expect(pastEnd.rendered == "p.yaml:1:4: end\nab\n   ^")
        let hidden = PolicyFileError("no line", at: PolicySourceLocation(file: "in.json", line: 1, column: 1), sourceLine: nil)
        #expect(hidden.rendered == "in.json:1:1: no line")
    }
}
