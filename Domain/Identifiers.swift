import Foundation

/// A UUID that names one kind of thing. The phantom `Tag` keeps kinds apart at compile time:
/// a `TenantID` cannot be passed where a `TransactionID` is expected.
public struct Identifier<Tag>: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UUID
    public init(_ rawValue: UUID) { self.rawValue = rawValue }
    public init?(string: String) {
        guard let uuid = UUID(uuidString: string) else { return nil }
        self.rawValue = uuid
    }
    /// Lower-case canonical form, as sent over the wire and stored.
    public var description: String { rawValue.uuidString.lowercased() }
}

public enum TenantTag {}
public enum TransactionTag {}

/// The tenant that owns a piece of business data. Every query is scoped by it.
public typealias TenantID = Identifier<TenantTag>
/// The server-assigned identity of a recorded transaction.
public typealias TransactionID = Identifier<TransactionTag>
