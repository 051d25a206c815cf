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
    /// Lower-case canonical form, as sent over the wire and stored (8-4-4-4-12 hex digits).
    /// Formatted here rather than through `uuidString.lowercased()`, which formats with
    /// `snprintf` and then copies: origins and audit payloads name ids on every append.
    public var description: String {
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: rawValue.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { output in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        output[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    output[at] = digits.utf8Start[Int(byte >> 4)]
                    output[at + 1] = digits.utf8Start[Int(byte & 0x0f)]
                    at += 2
                }
                return at
            }
        }
    }
}

public enum TenantTag {}
public enum TransactionTag {}

/// The tenant that owns a piece of business data. Every query is scoped by it.
public typealias TenantID = Identifier<TenantTag>
/// The server-assigned identity of a recorded transaction.
public typealias TransactionID = Identifier<TransactionTag>
