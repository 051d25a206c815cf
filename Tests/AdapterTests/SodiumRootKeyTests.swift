import Domain
import Foundation
import SodiumAdapters
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The root key (docs/encryption.md §3.1): read from a key file only when nobody else can read
/// or replace it, from 64 hex digits, generated, written; the development key is recognised
/// whatever it was loaded from.
@Suite struct SodiumRootKeyTests {
    static let hex = [UInt8](0..<32).hexString
    static let fingerprint = "23088d2102d21062"  // hashlib.blake2b, see SodiumFieldCipherTests

    /// A fresh folder, removed afterwards.
    func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("custos-root-key-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    func write(_ text: String, to path: String, mode: mode_t) throws {
        try #require(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        try #require(chmod(path, mode) == 0)
    }

    @Test func loadsAKeyFileOfTheRightShape() throws {
        try withFolder { folder in
            for (n, text) in [Self.hex + "\n", Self.hex, Self.hex.uppercased() + "\n"].enumerated() {
                let path = "\(folder)/key\(n)"
                try write(text, to: path, mode: 0o600)
                let key = try RootKey.load(file: path)
                #expect(key.fingerprint == Self.fingerprint)
                #expect(!key.isDevelopment)
            }
            let readOnly = "\(folder)/read-only"
            try write(Self.hex, to: readOnly, mode: 0o400)
            #expect(try RootKey.load(file: readOnly).fingerprint == Self.fingerprint)
            // A symbolic link is followed: the checks apply to the file it names.
            let link = "\(folder)/link"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: readOnly)
            #expect(try RootKey.load(file: link).fingerprint == Self.fingerprint)
        }
    }

    @Test func refusesKeyFilesOthersCouldReadOrReplace() throws {
        try withFolder { folder in
            for mode: mode_t in [0o640, 0o604, 0o620, 0o602, 0o660, 0o644, 0o610, 0o601] {
                let path = "\(folder)/key-\(String(mode, radix: 8))"
                try write(Self.hex, to: path, mode: mode)
                #expect(throws: RootKey.Failure.tooOpen(path: path)) { try RootKey.load(file: path) }
            }
            #expect(throws: RootKey.Failure.notRegularFile(path: folder)) { try RootKey.load(file: folder) }
            let missing = "\(folder)/missing"
            #expect(throws: RootKey.Failure.unreadable(path: missing)) { try RootKey.load(file: missing) }
            let fifo = "\(folder)/fifo"
            try #require(mkfifo(fifo, 0o600) == 0)
            #expect(throws: RootKey.Failure.notRegularFile(path: fifo)) { try RootKey.load(file: fifo) }
            // Another owner: only root can give a file away, so only a run as root checks it.
            if geteuid() == 0 {
                let path = "\(folder)/not-mine"
                try write(Self.hex, to: path, mode: 0o600)
                try #require(chown(path, 65_534, 65_534) == 0)
                #expect(throws: RootKey.Failure.notOwned(path: path)) { try RootKey.load(file: path) }
            }
        }
    }

    @Test func refusesMalformedKeyFiles() throws {
        try withFolder { folder in
            let texts = [
                "", "\n", String(Self.hex.dropLast()), String(Self.hex.dropLast()) + "\n", Self.hex + "0", Self.hex + "\n\n",
                Self.hex + " ", " " + Self.hex, Self.hex + "\r\n", String(Self.hex.dropLast()) + "g", "0x" + Self.hex.dropFirst(2),
                Self.hex + "\n" + Self.hex, String(repeating: "0", count: 300),
            ]
            for (n, text) in texts.enumerated() {
                let path = "\(folder)/key\(n)"
                try write(text, to: path, mode: 0o600)
                #expect(throws: RootKey.Failure.malformed(path: path), "\(text.debugDescription)") { try RootKey.load(file: path) }
            }
        }
    }

    @Test func readsHexDigits() throws {
        #expect(try RootKey(hex: Self.hex).fingerprint == Self.fingerprint)
        #expect(try RootKey(hex: Self.hex.uppercased()).fingerprint == Self.fingerprint)
        for text in ["", String(Self.hex.dropLast()), Self.hex + "00", Self.hex + "\n", String(Self.hex.dropLast()) + "x", " " + Self.hex.dropFirst()] {
            #expect(throws: RootKey.Failure.malformedText, "\(text.debugDescription)") { try RootKey(hex: text) }
        }
    }

    @Test func theDevelopmentKeyIsRecognisedWhereverItComesFrom() throws {
        #expect(RootKey.development.isDevelopment)
        #expect(RootKey.development.fingerprint == "72286b2a8800750c")
        #expect(Array("custos development root key v1!!".utf8).count == 32)
        let fromHex = try RootKey(hex: Array("custos development root key v1!!".utf8).hexString)
        #expect(fromHex.isDevelopment && fromHex.fingerprint == RootKey.development.fingerprint)
        #expect(String(describing: RootKey.development).contains("development"))
        #expect(!(try RootKey(hex: Self.hex)).isDevelopment)
    }

    @Test func generatesAndWritesNewKeys() throws {
        let first = try RootKey.generate()
        let second = try RootKey.generate()
        #expect(first.fingerprint != second.fingerprint)
        #expect(!first.isDevelopment)
        #expect(first.fingerprint.count == 16)
        try withFolder { folder in
            let path = "\(folder)/root.key"
            try first.writeKeyFile(path: path)
            var status = stat()
            try #require(stat(path, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o600)
            let text = try #require(FileManager.default.contents(atPath: path))
            #expect(text.count == 65 && text.last == UInt8(ascii: "\n"))
            #expect(String(decoding: text.dropLast(), as: UTF8.self).allSatisfy { "0123456789abcdef".contains($0) })
            #expect(try RootKey.load(file: path).fingerprint == first.fingerprint)
            // Never over an existing file.
            #expect(throws: RootKey.Failure.cannotCreate(path: path)) { try second.writeKeyFile(path: path) }
            #expect(try RootKey.load(file: path).fingerprint == first.fingerprint)
            // A key file opens what the same key sealed.
            let tenant = TenantID(UUID())
            let binding = FieldBinding(tenant: tenant, table: "transactions", column: "counterparty_name", rowID: UUID())
            let cipher = try SodiumFieldCipher(rootKey: first)
            let key = try cipher.makeDataKey(DataKeyReference(id: DataKeyID(UUID()), version: 1), tenant: tenant, kekVersion: 1)
            let sealed = try cipher.seal(Array("hello".utf8), key: key, binding: binding)
            #expect(try SodiumFieldCipher(rootKey: try RootKey.load(file: path)).open(sealed, key: key, binding: binding) == Array("hello".utf8))
        }
    }
}
