import Domain
import Foundation
import PolicyAdapters
import Testing

/// Name lists (CSV) and the paths that name data files.
@Suite("Policy folder: data files")
struct PolicyDataFileTests {
    static let withList = policyYAML(extra: "lists:\n  sanctions: data/s.csv\n")

    func csvError(_ csv: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> PolicyFileError {
        let fixture = try Fixture(["p.yaml": Self.withList, "data/s.csv": csv])
        return try #require(fixture.loadError(sourceLocation: sourceLocation), sourceLocation: sourceLocation)
    }

    @Test func csvErrorsAreAtTheBadField() throws {
        let comma = try csvError("id,name\nS-1,PETROV, Ivan\n")
        #expect(comma.place == "s.csv:2:1")
        #expect(comma.reason == "this row has 3 fields, the header has 2 (a name with a comma must be quoted: \"PETROV, Ivan\")")
        let open = try csvError("id,name\nS-1,\"PETROV\nS-2,Ivan\n")
        #expect(open.place == "s.csv:2:5")
        #expect(open.reason == "a quoted field is not closed")
        let inner = try csvError("id,name\nS-1,Ivan \"the\" Terrible\n")
        #expect(inner.place == "s.csv:2:10")
        #expect(inner.rendered.hasSuffix("\nS-1,Ivan \"the\" Terrible\n         ^"))
        let after = try csvError("id,name\nS-1,\"Ivan\" Petrov\n")
        #expect(after.place == "s.csv:2:11")
        #expect(after.reason == "only a comma or a line break may follow a closing quote")
        let header = try csvError("id,full_name\nS-1,Ivan\n")
        #expect(header.place == "s.csv:1:1")
        #expect(header.reason == "the header has no column 'name': a name list starts with the header id,name")
        let empty = try csvError("id,name\nS-1,Ivan\n,Олег\n")
        #expect(empty.place == "s.csv:3:1")
        #expect(empty.reason == "empty id")
        let long = try csvError("id,name\nS-1,Ölga\nS-2,\"" + String(repeating: "é", count: 129) + "\"\n")
        #expect(long.place == "s.csv:3:5")
        #expect(long.reason == "the name is 258 bytes, more than 256")
        let newline = try csvError("id,name\nS-1,\"Ivan\nPetrov\"\n")
        #expect(newline.place == "s.csv:2:5")
        #expect(newline.reason.hasPrefix("the name holds the control character U+A"))
        let fixture = try Fixture(["p.yaml": Self.withList])
        try fixture.write("data/s.csv", bytes: Array("id,name\nS-1,Ol".utf8) + [0xFF] + Array("ga\n".utf8))
        #expect(fixture.loadError()?.place == "s.csv:2:7")
        try fixture.write("data/s.csv", "")
        #expect(fixture.loadError()?.reason == "the file is empty: a name list starts with the header id,name")
    }

    @Test func quotedFieldsFollowRFC4180() throws {
        let fixture = try Fixture(["p.yaml": Self.withList, "data/s.csv": "name,program,id\n\"\",x,S-0\n"])
        #expect(fixture.loadError()?.reason == "empty name")
        try fixture.write("data/s.csv", "name,program,id\n\"Petrov, \"\"Vanya\"\"\",\"a,b\",S-1\r\nIvan,,S-1")
        let list = try #require(try PolicyFolder.load(fixture.folder).bundle.policies[0].lists.first)
        #expect(list.entries == [NameListEntry(id: "S-1", name: "Petrov, \"Vanya\""), NameListEntry(id: "S-1", name: "Ivan")])
    }

    @Test func aDataPathMayNotLeaveTheFolder() throws {
        let outside = try Fixture(["s.csv": "id,name\nS-1,Ivan\n"])
        let fixture = try Fixture(["p.yaml": policyYAML(extra: "lists:\n  sanctions: ../s.csv\n")])
        let dots = try #require(fixture.loadError())
        #expect(dots.place == "p.yaml:9:14")
        #expect(dots.reason == "lists.sanctions: '../s.csv' leaves the bundle's folder ('..')")
        try fixture.write("p.yaml", policyYAML(extra: "lists:\n  sanctions: \"\(outside.path("s.csv"))\"\n"))
        #expect(fixture.loadError()?.reason.hasSuffix("is absolute: a data path is relative to the bundle's folder") == true)
        try FileManager.default.createSymbolicLink(atPath: fixture.path("link.csv"), withDestinationPath: outside.path("s.csv"))
        try fixture.write("p.yaml", policyYAML(extra: "lists:\n  sanctions: link.csv\n"))
        let link = try #require(fixture.loadError())
        #expect(link.place == "p.yaml:9:14")
        #expect(link.reason == "lists.sanctions: 'link.csv' is a symbolic link out of the bundle's folder")
        try fixture.write("p.yaml", policyYAML(extra: "lists:\n  sanctions: data/none.csv\n"))
        #expect(fixture.loadError()?.reason == "lists.sanctions: 'data/none.csv' is no such file")
        try FileManager.default.createDirectory(atPath: fixture.path("data/dir.csv"), withIntermediateDirectories: true)
        try fixture.write("p.yaml", policyYAML(extra: "lists:\n  sanctions: data/dir.csv\n"))
        #expect(fixture.loadError()?.reason == "lists.sanctions: 'data/dir.csv' is not a regular file")
        // A link that stays inside is followed.
        try fixture.write("data/real.csv", "id,name\nS-1,Ivan\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.path("inside.csv"), withDestinationPath: fixture.path("data/real.csv"))
        try fixture.write("p.yaml", policyYAML(extra: "lists:\n  sanctions: inside.csv\n"))
        #expect(try PolicyFolder.load(fixture.folder).bundle.policies[0].lists[0].entries == [NameListEntry(id: "S-1", name: "Ivan")])
    }

    @Test func aDataFileHasASizeLimit() throws {
        let fixture = try Fixture(["p.yaml": Self.withList])
        try fixture.write("data/s.csv", bytes: Array("id,name\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: PolicyFileLimits.dataFileBytesMax))
        let error = try #require(fixture.loadError())
        #expect(error.place == "p.yaml:9:14")
        #expect(error.reason == "lists.sanctions: 'data/s.csv' is 16777224 bytes, more than the limit of 16777216 bytes")
    }

    @Test func aListNameIsCheckedAtItsKey() throws {
        let fixture = try Fixture(["p.yaml": policyYAML(extra: "lists:\n  bad-name: data/s.csv\n"), "data/s.csv": "id,name\nS-1,Ivan\n"])
        let error = try #require(fixture.loadError())
        #expect(error.place == "p.yaml:9:3")
        #expect(error.reason == "lists.bad-name: 'bad-name' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)")
    }
}
