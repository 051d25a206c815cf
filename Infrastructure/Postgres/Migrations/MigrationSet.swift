import Domain
import Foundation

/// One numbered SQL file from `migrations/`, e.g. `0001_transactions.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let fileName: String
    public let sql: String
    /// Lower-case hex SHA-256 of the file's bytes, exactly as read.
    public let checksum: String
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case directoryUnreadable(path: String)
    case badFileName(file: String)
    case duplicateVersion(version: Int, files: [String])
    case fileTooLarge(file: String, bytesMax: Int)
    case notUTF8(file: String)
    case tooManyFiles(countMax: Int)
    case unterminated(file: String, line: Int, what: String)
    case changedSinceApplied(file: String, recorded: String, actual: String)
    case appliedButMissing(version: Int, name: String)
    case statementFailed(file: String, line: Int, message: String)

    public var description: String {
        switch self {
        case .directoryUnreadable(let path):
            "migrations folder \(path) cannot be read"
        case .badFileName(let file):
            "\(file): migration files must be named NNNN_name.sql (four digits, lower-case name)"
        case .duplicateVersion(let version, let files):
            "migration number \(version) is used by more than one file: \(files.joined(separator: ", "))"
        case .fileTooLarge(let file, let bytesMax):
            "\(file): larger than the \(bytesMax)-byte limit for a migration file"
        case .notUTF8(let file):
            "\(file): not valid UTF-8"
        case .tooManyFiles(let countMax):
            "more than \(countMax) migration files"
        case .unterminated(let file, let line, let what):
            "\(file):\(line):1: unterminated \(what)"
        case .changedSinceApplied(let file, let recorded, let actual):
            "\(file) has changed since it was applied (recorded sha256 \(recorded), file now \(actual)); "
                + "restore the original file and add a new migration instead"
        case .appliedButMissing(let version, let name):
            "migration \(name) (number \(version)) is recorded as applied but its file is missing; "
                + "this build is older than the database"
        case .statementFailed(let file, let line, let message):
            "\(file):\(line):1: \(message)"
        }
    }
}

/// The ordered migrations of a folder, validated: every `.sql` file is named `NNNN_name.sql`,
/// numbers are unique, sizes are bounded. Other files (a README) are ignored.
public struct MigrationSet: Sendable {
    public static let fileBytesMax = 1 << 20
    public static let fileCountMax = 10_000

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public static func load(directory: URL) throws(MigrationError) -> MigrationSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .directoryUnreadable(path: directory.path)
        }
        let sqlNames = names.filter { $0.hasSuffix(".sql") }.sorted()
        guard sqlNames.count <= fileCountMax else { throw .tooManyFiles(countMax: fileCountMax) }
        var byVersion: [Int: [String]] = [:]
        var migrations: [Migration] = []
        for name in sqlNames {
            guard let version = version(of: name) else { throw .badFileName(file: name) }
            byVersion[version, default: []].append(name)
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw .directoryUnreadable(path: url.path)
            }
            guard data.count <= fileBytesMax else { throw .fileTooLarge(file: name, bytesMax: fileBytesMax) }
            guard let sql = String(data: data, encoding: .utf8) else { throw .notUTF8(file: name) }
            migrations.append(Migration(version: version, fileName: name, sql: sql, checksum: SHA256.hash(data).hexString))
        }
        if let (version, files) = byVersion.first(where: { $0.value.count > 1 }) {
            throw .duplicateVersion(version: version, files: files)
        }
        return MigrationSet(migrations: migrations)
    }

    /// `0001_transactions.sql` → 1; nil unless four digits, an underscore, `[a-z0-9_]+`, `.sql`.
    static func version(of fileName: String) -> Int? {
        let scalars = Array(fileName.unicodeScalars)
        guard scalars.count > 9, fileName.hasSuffix(".sql"), scalars[4] == "_" else { return nil }
        let digits = scalars[0..<4]
        let body = scalars[5..<(scalars.count - 4)]
        guard digits.allSatisfy({ ("0"..."9").contains($0) }),
              !body.isEmpty, body.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        return Int(String(String.UnicodeScalarView(digits)))
    }
}

/// What `schema_migrations` says was applied.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public init(version: Int, name: String, checksum: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
    }
}

/// Files compared with the database: the plan of `custos migrate` and the answer of `--status`.
public struct MigrationStatus: Sendable, Equatable {
    public enum State: String, Sendable { case applied, pending, changed, missing }
    public struct Entry: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let state: State
    }

    public let entries: [Entry]

    public init(files: MigrationSet, applied: [AppliedMigration]) {
        let appliedByVersion = Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let fileVersions = Set(files.migrations.map(\.version))
        var entries = files.migrations.map { file -> Entry in
            guard let record = appliedByVersion[file.version] else {
                return Entry(version: file.version, name: file.fileName, state: .pending)
            }
            let state: State = record.checksum == file.checksum && record.name == file.fileName ? .applied : .changed
            return Entry(version: file.version, name: file.fileName, state: state)
        }
        entries += applied.filter { !fileVersions.contains($0.version) }
            .map { Entry(version: $0.version, name: $0.name, state: .missing) }
        self.entries = entries.sorted { $0.version < $1.version }
    }

    /// True when every file is applied unchanged and the database knows of nothing else.
    public var isCurrent: Bool { entries.allSatisfy { $0.state == .applied } }
    public var pending: [Entry] { entries.filter { $0.state == .pending } }
}
