import Domain
import Hummingbird

/// `limit` and `cursor` of a list route: `limit` 1 to the list's maximum (default 50), `cursor`
/// the `next_cursor` of the previous page, of the same list.
struct PageQuery {
    static let limitDefault = 50
    let limit: Int
    let cursor: PageCursor?

    init(_ request: Request, list: String, limitMax: Int) throws {
        let query = request.uri.queryParameters
        var limit = min(Self.limitDefault, limitMax)
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...limitMax).contains(value) else {
                throw ProblemError(.badRequest, detail: "limit must be 1 to \(limitMax)")
            }
            limit = value
        }
        self.limit = limit
        self.cursor = try Self.cursor(request, list: list)
    }

    /// The `cursor` parameter, if any, as one of `list`'s cursors (400 `invalid-cursor` otherwise).
    static func cursor(_ request: Request, list: String) throws -> PageCursor? {
        guard let token = request.uri.queryParameters["cursor"].map(String.init) else { return nil }
        guard let cursor = PageCursor(token: token, list: list) else {
            throw ProblemError(.invalidCursor, detail: "cursor is not a next_cursor of this list; start again without one")
        }
        return cursor
    }
}
