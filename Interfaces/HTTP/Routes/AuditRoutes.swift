import Domain
import Foundation
import HTTPTypes
import Hummingbird

/// The tenant's audit log over HTTP (docs/audit-log.md §6): the latest signed checkpoint as
/// `text/plain`, entries, RFC 9162 proofs, and the verifier keys. Everything is scoped to the
/// caller's tenant log; hashes and entries are standard base64.
struct AuditRoutes {
    static let entriesList = "audit-entries"
    let read: ReadAuditLog
    let origins: AuditOrigins

    func register(on group: RouterGroup<CustosRequestContext>, scoped: Scoped) {
        group.get("audit/checkpoint", use: scoped(.auditRead, checkpoint))
        group.get("audit/entries", use: scoped(.auditRead, entries))
        group.get("audit/proofs/inclusion", use: scoped(.auditRead, inclusion))
        group.get("audit/proofs/consistency", use: scoped(.auditRead, consistency))
        group.get("audit/keys", use: scoped(.auditRead, keys))
    }

    private func origin(_ context: CustosRequestContext) throws -> String {
        origins.origin(of: .tenant(try context.requireTenant()))
    }

    @Sendable func checkpoint(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let note = try await read.checkpoint(origin: try origin(context))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: note))
        )
    }

    @Sendable func entries(_ request: Request, context: CustosRequestContext) async throws -> Response {
        // `cursor` (a page's `next_cursor`) or `start` (an index: auditors address entries by it).
        let query = try QueryNumbers(request, required: [], optional: ["start", "limit"])
        var start = query["start"] ?? 0
        if let cursor = try PageQuery.cursor(request, list: Self.entriesList) {
            guard query["start"] == nil else { throw ProblemError(.badRequest, detail: "give start or cursor, not both") }
            guard case .index(let index) = cursor.position else {
                throw ProblemError(.invalidCursor, detail: "cursor is not a next_cursor of this list; start again without one")
            }
            start = index
        }
        let limit = query["limit"].map { Int(min($0, UInt64(Int.max))) } ?? 100
        let page = try await read.entries(origin: try origin(context), start: start, limit: limit)
        struct Entry: Encodable {
            let index: UInt64
            let leaf: String
            let leafHash: String
            enum CodingKeys: String, CodingKey { case index, leaf, leafHash = "leaf_hash" }
        }
        struct Page: Encodable {
            let entries: [Entry]
            let treeSize: UInt64
            let nextCursor: String?
            enum CodingKeys: String, CodingKey { case entries, treeSize = "tree_size", nextCursor = "next_cursor" }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(entries, forKey: .entries)
                try container.encode(treeSize, forKey: .treeSize)
                try container.encode(nextCursor, forKey: .nextCursor)
            }
        }
        // Up to the latest checkpoint: a page ending below it has a next one.
        let next = page.entries.last.map { $0.index + 1 }.flatMap { $0 < page.treeSize ? $0 : nil }
        return JSONBody.response(Page(
            entries: page.entries.map {
                Entry(index: $0.index, leaf: Data($0.leaf).base64EncodedString(), leafHash: Data(MerkleTree.leafHash($0.leaf)).base64EncodedString())
            },
            treeSize: page.treeSize,
            nextCursor: next.map { PageCursor(list: Self.entriesList, position: .index($0)).token }
        ), status: .ok)
    }

    @Sendable func inclusion(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let query = try QueryNumbers(request, required: ["index"], optional: ["size"])
        let proof = try await read.inclusionProof(origin: try origin(context), index: query["index"]!, size: query["size"])
        struct Body: Encodable {
            let index: UInt64
            let treeSize: UInt64
            let hashes: [String]
            enum CodingKeys: String, CodingKey { case index, hashes, treeSize = "tree_size" }
        }
        return JSONBody.response(
            Body(index: query["index"]!, treeSize: proof.size, hashes: proof.hashes.map { Data($0).base64EncodedString() }),
            status: .ok
        )
    }

    @Sendable func consistency(_ request: Request, context: CustosRequestContext) async throws -> Response {
        let query = try QueryNumbers(request, required: ["from"], optional: ["to"])
        let proof = try await read.consistencyProof(origin: try origin(context), from: query["from"]!, to: query["to"])
        struct Body: Encodable {
            let from: UInt64
            let to: UInt64
            let hashes: [String]
        }
        return JSONBody.response(
            Body(from: query["from"]!, to: proof.to, hashes: proof.hashes.map { Data($0).base64EncodedString() }), status: .ok
        )
    }

    @Sendable func keys(_ request: Request, context: CustosRequestContext) async throws -> Response {
        struct Version: Encodable {
            let version: UInt32
            let key: String
            let announced_at_index: UInt64?
            let signs_until_ms: UInt64?
        }
        struct Body: Encodable {
            let origin: String
            /// Every verifier key, oldest first; the last is the current one.
            let keys: [String]
            let versions: [Version]
        }
        let origin = try origin(context)
        let keys = try await read.verifierKeys(origin: origin)
        return JSONBody.response(Body(
            origin: origin, keys: keys.map(\.key.description),
            versions: keys.map { Version(version: $0.version, key: $0.key.description, announced_at_index: $0.announcedAtIndex, signs_until_ms: $0.signsUntilMs) }
        ), status: .ok)
    }
}

/// Non-negative decimal query parameters; every bad one is reported at once (422).
struct QueryNumbers {
    private var values: [String: UInt64] = [:]

    init(_ request: Request, required: [String], optional: [String]) throws {
        var errors: [FieldError] = []
        for name in required + optional {
            guard let raw = request.uri.queryParameters.get(name) else {
                if required.contains(name) { errors.append(FieldError(field: name, code: "required", reason: "is required")) }
                continue
            }
            guard raw.count <= 20, raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt64(raw) else {
                errors.append(FieldError(field: name, code: "wrong_type", reason: "must be a non-negative whole number"))
                continue
            }
            values[name] = value
        }
        if !errors.isEmpty { throw ValidationFailed(errors) }
    }

    subscript(name: String) -> UInt64? { values[name] }
}
