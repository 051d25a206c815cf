import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every limit of the files of a bundle, unit last (docs/policies.md §1, §6).
public enum PolicyFileLimits {
    /// One policy or test file (`*.yaml`, `*.test.yaml`).
    public static let yamlFileBytesMax = 1_048_576
    /// One data file: a name list (CSV) or a case table (JSON lines).
    public static let dataFileBytesMax = 16 * 1_048_576
    /// One line of a case table, and a decision input file (`custos policy eval --input`): the
    /// largest document `CanonicalJSON.parse` reads.
    public static let jsonBytesMax = 65_535
}

/// Why a file could not be read; the caller decides where the error is shown (the policy file
/// itself, or the YAML scalar that named a data file).
enum FileProblem: Error {
    case missing
    case notRegularFile
    case outsideFolder
    case tooLarge(bytes: Int, max: Int)
    case unreadable

    var reason: String {
        switch self {
        case .missing: "no such file"
        case .notRegularFile: "not a regular file"
        case .outsideFolder: "a symbolic link out of the bundle's folder"
        case .tooLarge(let bytes, let max): "\(bytes) bytes, more than the limit of \(max) bytes"
        case .unreadable: "cannot be read"
        }
    }
}

/// The file system, as a bundle sees it: files directly in one folder, and data files inside it.
enum BundleFiles {
    /// The names of the folder's entries, in byte order of their UTF-8 names.
    static func names(in folder: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// `folder/name`, as it is printed (no doubled `/`).
    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// Why `relative` (as a policy wrote it) may not name a data file, or `nil` when it may: it is
    /// relative, and no component is `..` (symbolic links are checked when reading).
    static func refusal(ofRelativePath relative: String) -> String? {
        if relative.isEmpty { return "an empty path" }
        if relative.hasPrefix("/") || relative.hasPrefix("~") { return "'\(relative)' is absolute: a data path is relative to the bundle's folder" }
        if relative.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return "'\(relative)' leaves the bundle's folder ('..')"
        }
        if relative.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" }) {
            return "'\(relative)' holds a control character or a backslash"
        }
        return nil
    }

    /// The bytes of `path`, a regular file whose real path (symbolic links resolved) is inside
    /// the real path of `folder`, of at most `bytesMax` bytes.
    static func read(_ path: String, inside folder: String, bytesMax: Int) -> Result<[UInt8], FileProblem> {
        guard let realFolder = realPath(folder) else { return .failure(.missing) }
        guard let real = realPath(path) else { return .failure(.missing) }
        guard real.hasPrefix(realFolder.hasSuffix("/") ? realFolder : realFolder + "/") else { return .failure(.outsideFolder) }
        var status = stat()
        guard stat(real, &status) == 0 else { return .failure(.missing) }
        guard status.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegularFile) }
        guard Int(status.st_size) <= bytesMax else { return .failure(.tooLarge(bytes: Int(status.st_size), max: bytesMax)) }
        guard let handle = FileHandle(forReadingAtPath: real) else { return .failure(.unreadable) }
        defer { try? handle.close() }
        // Read one byte more than allowed, in case the file grew since `stat`.
        guard let data = try? handle.read(upToCount: bytesMax + 1) else { return .success([]) }
        guard data.count <= bytesMax else { return .failure(.tooLarge(bytes: data.count, max: bytesMax)) }
        return .success([UInt8](data))
    }

    /// A file given on the command line (no folder to stay inside).
    static func read(_ path: String, bytesMax: Int) -> Result<[UInt8], FileProblem> {
        guard let real = realPath(path) else { return .failure(.missing) }
        return read(real, inside: (real as NSString).deletingLastPathComponent, bytesMax: bytesMax)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
