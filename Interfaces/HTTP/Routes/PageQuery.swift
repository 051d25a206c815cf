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
        if let token = query["cursor"].map(String.init) {
            guard let cursor = PageCursor(token: token, list: list) else {
                throw ProblemError(.invalidCursor, detail: "cursor is not a next_cursor of this list; start again without one")
            }
            self.cursor = cursor
        } else {
            self.cursor = nil
        }
    }
}
