/// An error the core raises on purpose. `slug` is stable: driving adapters map it
/// to their own vocabulary (the HTTP layer turns it into a problem `type` URI).
public protocol DomainError: Error, Sendable {
    var slug: String { get }
}

/// One rejected input field, with a reason a person can act on.
public struct FieldError: Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let code: String
    public let reason: String
    public init(field: String, code: String, reason: String) {
        self.field = field
        self.code = code
        self.reason = reason
    }
    public var description: String { "\(field): \(reason)" }
}

/// Input was rejected; every invalid field is listed, not just the first.
public struct ValidationFailed: DomainError, CustomStringConvertible {
    public let fieldErrors: [FieldError]
    public var slug: String { "validation-failed" }
    public init(_ fieldErrors: [FieldError]) {
        precondition(!fieldErrors.isEmpty, "a validation failure lists at least one field")
        self.fieldErrors = fieldErrors
    }
    public var description: String { "validation failed: " + fieldErrors.map(\.description).joined(separator: "; ") }
}

public enum TransactionError: DomainError, Equatable {
    /// No transaction with this id exists for the tenant (another tenant's id reads the same).
    case notFound(TransactionID)
    /// The id is already taken; the repository refused to overwrite.
    case duplicateID(TransactionID)

    public var slug: String {
        switch self {
        case .notFound: "transaction-not-found"
        case .duplicateID: "transaction-conflict"
        }
    }
}
