/// An export held in memory (the files `TiledLogExport` makes), read by the verifier:
/// `custos audit verify --tenant` reads a log from the database this way.
public struct ExportFilesSource: AuditLogSource {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) is missing" }
    }

    public var files: [String: [UInt8]]

    public init(_ files: [TiledLogExport.File]) {
        self.files = Dictionary(files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
    }

    public func checkpointNote() throws -> String { String(decoding: try file("checkpoint"), as: UTF8.self) }

    public func entryBundle(index: UInt64, width: Int) throws -> [UInt8] {
        try file(TilePath.entries(index: index, partialWidth: width == TilePath.width ? nil : width))
    }

    public func tile(level: Int, index: UInt64, width: Int) throws -> [UInt8]? {
        try file(TilePath.tile(level: level, index: index, partialWidth: width == TilePath.width ? nil : width))
    }

    private func file(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else { throw Missing(path: path) }
        return bytes
    }
}
