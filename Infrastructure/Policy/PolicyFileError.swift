import Domain

/// A policy, test, data or input file was refused: where (file, 1-based line and column, columns
/// in Unicode scalars) and why. Every problem of a bundle on disk, from a YAML syntax error to a
/// CEL error deep inside a `when`, arrives as one of these.
public struct PolicyFileError: DomainError, Equatable, CustomStringConvertible {
    public let location: PolicySourceLocation
    public let reason: String
    /// The offending line of the file, without its line break; `nil` when the file is not shown
    /// (a decision input may hold account numbers and names) or the place is not on a line.
    public let sourceLine: String?

    public init(_ reason: String, at location: PolicySourceLocation, sourceLine: String?) {
        precondition(location.line >= 1 && location.column >= 1, "locations are 1-based")
        self.location = location
        self.reason = reason
        self.sourceLine = sourceLine
    }

    public var slug: String { "invalid-policy-file" }

    /// `file:line:col: message`.
    public var description: String { "\(location): \(reason)" }

    /// `file:line:col: message`, then the offending line and a caret under the column, as
    /// `CELParseError.rendered(file:source:)` prints them.
    public var rendered: String {
        guard let sourceLine else { return description }
        // Tabs are kept so that the caret lines up in terminals that expand them.
        var prefix = sourceLine.unicodeScalars.prefix(location.column - 1).map { $0 == "\t" ? "\t" : " " }.joined()
        let shortBy = location.column - 1 - sourceLine.unicodeScalars.count
        if shortBy > 0 { prefix += String(repeating: " ", count: shortBy) }
        return description + "\n" + sourceLine + "\n" + prefix + "^"
    }
}
