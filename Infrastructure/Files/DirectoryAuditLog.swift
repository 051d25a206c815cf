import Domain
import Foundation

/// Reads a tlog-tiles export directory (docs/audit-log.md §7) for the verifier.
/// Every read is bounded: a checkpoint of at most 64 KiB, a bundle of at most 256 × 65,537 bytes,
/// a tile of at most 8 KiB.
public struct DirectoryAuditLogSource: AuditLogSource {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) is missing or too large" }
    }

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public func checkpointNote() throws -> String {
        String(decoding: try read("checkpoint", bytesMax: 1 << 16), as: UTF8.self)
    }

    public func entryBundle(index: UInt64, width: Int) throws -> [UInt8] {
        try read(TilePath.entries(index: index, partialWidth: width == TilePath.width ? nil : width),
                 bytesMax: TilePath.width * (AuditLeaf.encodedBytesMax + 2))
    }

    public func tile(level: Int, index: UInt64, width: Int) throws -> [UInt8]? {
        try read(TilePath.tile(level: level, index: index, partialWidth: width == TilePath.width ? nil : width),
                 bytesMax: TilePath.width * MerkleTree.hashByteCount)
    }

    /// The signed checkpoint and manifest, for callers that want them.
    ///
    /// One open, one fstat and reads straight into the returned array: no attribute dictionary,
    /// no intermediate `Data`. A file larger than `bytesMax` (or not a regular file) is refused
    /// before it is read; one that grows while being read is refused too.
    public func read(_ relativePath: String, bytesMax: Int) throws -> [UInt8] {
        do {
            return try readRegularFile(atPath: directory.appendingPathComponent(relativePath).path, bytesMax: bytesMax)
        } catch {
            throw Missing(path: relativePath)
        }
    }
}

/// Writes an export's files into a new directory. Refuses a directory that already holds files,
/// so an export never mixes with an older one; each file is written whole, then renamed in place.
public struct DirectoryExportWriter {
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public func write(_ files: [TiledLogExport.File]) throws {
        let manager = FileManager.default
        if let existing = try? manager.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw Refused(description: "\(directory.path) is not empty; export into a new folder")
        }
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in files {
            let url = directory.appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.bytes).write(to: url, options: .atomic)
        }
    }
}
