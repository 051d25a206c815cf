import Foundation

/// Where the next page of a list starts, as the opaque `cursor` token clients pass back. The token
/// names its list, so one list's cursor is refused by another; its content is not an interface
/// and may change between versions (an old token is then refused, and the client starts over).
/// A client can only ever page through its own tenant's rows: every read is tenant-scoped, so an
/// edited token moves within them and nowhere else.
public struct PageCursor: Hashable, Sendable {
    public enum Position: Hashable, Sendable {
        case transaction(TransactionPosition)
        /// An audit-log entry index.
        case index(UInt64)
    }

    public static let tokenBytesMax = 200
    static let version = "c1"
    public let list: String
    public let position: Position

    public init(list: String, position: Position) {
        precondition(!list.isEmpty && !list.contains(" "), "a list name is one word")
        self.list = list
        self.position = position
    }

    public var token: String {
        let text: String = switch position {
        case .transaction(let p): "\(Self.version) \(list) t \(p.recordedAt.microsecondsSinceEpoch) \(p.id)"
        case .index(let index): "\(Self.version) \(list) i \(index)"
        }
        return Base64URL.encode(Array(text.utf8))
    }

    /// The cursor a token stands for, if it is one of `list`'s.
    public init?(token: String, list: String) {
        guard token.utf8.count <= Self.tokenBytesMax, let bytes = Base64URL.decode(Substring(token)),
              let text = String(validating: bytes, as: UTF8.self)
        else { return nil }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0] == Self.version, parts[1] == list else { return nil }
        switch (parts[2], parts.count) {
        case ("t", 5):
            guard let micros = Int64(parts[3]), let id = TransactionID(string: String(parts[4])) else { return nil }
            let at = UTCTimestamp(microsecondsSinceEpoch: micros)
            guard at >= UTCTimestamp.min && at <= UTCTimestamp.max else { return nil }
            self.init(list: list, position: .transaction(TransactionPosition(recordedAt: at, id: id)))
        case ("i", 4):
            guard let index = UInt64(parts[3]) else { return nil }
            self.init(list: list, position: .index(index))
        default:
            return nil
        }
    }

    /// The transaction position, when this is a cursor of a transaction list.
    public var transactionPosition: TransactionPosition? {
        if case .transaction(let position) = position { return position }
        return nil
    }
}

/// One page of a list: its items, and the cursor of the next page (nil on the last one).
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let next: PageCursor?

    public init(items: [Item], next: PageCursor?) {
        self.items = items
        self.next = next
    }
}
