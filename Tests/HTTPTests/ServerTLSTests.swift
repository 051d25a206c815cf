@testable import CustosCLI
import Foundation
import NIOSSL
import Testing

/// Throwaway PEM files for one test, in a folder removed afterwards: the PKI of
/// Tests/smoke/make-test-pki.sh (a CA, a server certificate it signed, an unrelated key), the
/// server key encrypted, an empty file and one larger than the limit. Nothing here is committed.
final class TLSFiles {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("custos-tls-\(UUID().uuidString)")
    deinit { try? FileManager.default.removeItem(at: folder) }

    init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("smoke/make-test-pki.sh")
        try run(script.path, folder.path)
        try run("openssl", "pkcs8", "-topk8", "-in", path("server.key"), "-passout", "pass:secret", "-v2", "aes-256-cbc",
                "-out", path("encrypted.key"))
        try "subjectAltName=DNS:localhost\n".write(to: url("not-pem.txt"), atomically: true, encoding: .utf8)
        try Data(repeating: UInt8(ascii: "A"), count: ServerTLS.pemBytesMax + 1).write(to: url("large.pem"))
        try Data().write(to: url("empty.pem"))
    }

    func path(_ name: String) -> String { url(name).path }
    func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// The base64 lines of a key file: none of them may ever appear in a message.
    func keyLines(_ name: String) throws -> [String] {
        try String(contentsOf: url(name), encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-----") }
    }

    private func run(_ command: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: ["command": ([command] + arguments).joined(separator: " ")])
        }
    }
}

/// `custos serve --tls-cert/--tls-key [--tls-client-ca]` and their variables: what the TLS
/// configuration is, and every way a file can be refused, each in one line without key material.
@Suite struct ServerTLSTests {
    let files: TLSFiles
    init() throws { files = try TLSFiles() }

    func configuration(cert: String?, key: String?, clientCA: String? = nil) -> Configuration {
        var configuration = Configuration()
        configuration.tlsCertificateFile = cert.map(files.path)
        configuration.tlsKeyFile = key.map(files.path)
        configuration.tlsClientCAFile = clientCA.map(files.path)
        return configuration
    }

    /// The message of the refusal, checked to be one line that repeats no line of any key file.
    func refusal(cert: String?, key: String?, clientCA: String? = nil) throws -> String {
        let error = #expect(throws: ServerTLS.Invalid.self) { try ServerTLS.load(configuration(cert: cert, key: key, clientCA: clientCA)) }
        let message = try #require(error?.description)
        #expect(!message.contains("\n"))
        for name in ["server.key", "other.key", "encrypted.key", "ca.key", "client.key"] {
            for line in try files.keyLines(name) { #expect(!message.contains(line), "\(message) repeats \(name)") }
        }
        #expect(!message.contains("PRIVATE KEY-----"))
        return message
    }

    @Test func withoutCertificateAndKeyTheServerIsPlainHTTP() throws {
        #expect(try ServerTLS.load(Configuration()) == nil)
    }

    @Test func aCertificateAndItsKeyGiveTLS12OrLaterWithoutClientCertificates() throws {
        let tls = try #require(try ServerTLS.load(configuration(cert: "server.pem", key: "server.key")))
        #expect(tls.configuration.minimumTLSVersion == .tlsv12)
        #expect(tls.configuration.maximumTLSVersion == nil)
        #expect(tls.configuration.certificateVerification == .none)
        #expect(tls.configuration.certificateChain.count == 1)
        #expect(tls.configuration.applicationProtocols == ["http/1.1"])
        #expect(tls.configuration.cipherSuites == ServerTLS.cipherSuitesTLS12)
        #expect(!tls.configuration.cipherSuites.contains("CBC") && !tls.configuration.cipherSuites.contains("-SHA:"))
        #expect(!tls.clientCertificatesRequired)
        #expect(tls.certificateNotValidAfterSeconds > Int(Date().timeIntervalSince1970))
    }

    @Test func aClientCAFileRequiresAndVerifiesClientCertificates() throws {
        let tls = try #require(try ServerTLS.load(configuration(cert: "server.pem", key: "server.key", clientCA: "ca.pem")))
        #expect(tls.clientCertificatesRequired)
        #expect(tls.configuration.certificateVerification == .noHostnameVerification)
        #expect(tls.configuration.trustRoots == .certificates(try NIOSSLCertificate.fromPEMFile(files.path("ca.pem"))))
        #expect(tls.configuration.minimumTLSVersion == .tlsv12)
        #expect(tls.configuration.sendCANameList)
    }

    @Test func theCertificateAndTheKeyComeTogether() throws {
        #expect(try refusal(cert: "server.pem", key: nil) == "--tls-key (CUSTOS_TLS_KEY_FILE) must be given with --tls-cert (CUSTOS_TLS_CERT_FILE)")
        #expect(try refusal(cert: nil, key: "server.key") == "--tls-cert (CUSTOS_TLS_CERT_FILE) must be given with --tls-key (CUSTOS_TLS_KEY_FILE)")
        #expect(try refusal(cert: nil, key: nil, clientCA: "ca.pem").hasPrefix("--tls-client-ca (CUSTOS_TLS_CLIENT_CA_FILE) needs --tls-cert"))
    }

    @Test func aMissingEmptyOversizeOrNonRegularFileIsRefusedNamingItsFlag() throws {
        let missing = try refusal(cert: "missing.pem", key: "server.key")
        #expect(missing == "--tls-cert (CUSTOS_TLS_CERT_FILE) file \(files.path("missing.pem")) cannot be read: No such file or directory")
        #expect(try refusal(cert: "server.pem", key: "missing.key").hasPrefix("--tls-key (CUSTOS_TLS_KEY_FILE) file "))
        #expect(try refusal(cert: "server.pem", key: "server.key", clientCA: "missing.pem").hasPrefix("--tls-client-ca (CUSTOS_TLS_CLIENT_CA_FILE) file "))
        #expect(try refusal(cert: "large.pem", key: "server.key").hasSuffix("is larger than 1048576 bytes"))
        #expect(try refusal(cert: "server.pem", key: "large.pem").hasSuffix("is larger than 1048576 bytes"))
        #expect(try refusal(cert: "empty.pem", key: "server.key").hasSuffix("is empty"))
        #expect(try refusal(cert: "server.pem", key: "server.key", clientCA: ".").hasSuffix("is not a regular file"))
    }

    @Test func aFileWithoutTheExpectedPEMIsRefused() throws {
        #expect(try refusal(cert: "server.key", key: "server.key").hasSuffix("\(files.path("server.key")) holds no PEM certificate"))
        #expect(try refusal(cert: "server.pem", key: "server.pem").hasSuffix("\(files.path("server.pem")) holds no PEM private key"))
        #expect(try refusal(cert: "server.pem", key: "server.key", clientCA: "not-pem.txt").hasSuffix("holds no PEM certificate"))
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefused() throws {
        let message = try refusal(cert: "server.pem", key: "other.key")
        #expect(message == "--tls-key (CUSTOS_TLS_KEY_FILE) file \(files.path("other.key")) does not match the certificate in \(files.path("server.pem"))")
        #expect(try refusal(cert: "client.pem", key: "server.key").contains("does not match the certificate"))
        #expect(try refusal(cert: "ca.pem", key: "ca.key").hasSuffix("\(files.path("ca.pem")) starts with a certificate that cannot serve TLS"))
    }

    @Test func anEncryptedKeyIsRefusedAsEncrypted() throws {
        #expect(try refusal(cert: "server.pem", key: "encrypted.key").contains("holds an encrypted private key"))
    }

    @Test func theVariablesAreRead() throws {
        let configuration = try Configuration.fromEnvironment([
            "CUSTOS_TLS_CERT_FILE": "/etc/custos/tls/server.pem", "CUSTOS_TLS_KEY_FILE": "/etc/custos/tls/server.key",
            "CUSTOS_TLS_CLIENT_CA_FILE": "/etc/custos/tls/clients.pem", "CUSTOS_HSTS_MAX_AGE_SECONDS": "600",
        ])
        #expect(configuration.tlsCertificateFile == "/etc/custos/tls/server.pem")
        #expect(configuration.tlsKeyFile == "/etc/custos/tls/server.key")
        #expect(configuration.tlsClientCAFile == "/etc/custos/tls/clients.pem")
        #expect(configuration.hstsMaxAgeSeconds == 600)
        let defaults = try Configuration.fromEnvironment(["CUSTOS_TLS_CERT_FILE": ""])
        #expect(defaults.tlsCertificateFile == nil)
        #expect(defaults.hstsMaxAgeSeconds == 31_536_000)
        for bad in ["-1", "63072001", "a year"] {
            let error = #expect(throws: Configuration.Invalid.self) { try Configuration.fromEnvironment(["CUSTOS_HSTS_MAX_AGE_SECONDS": bad]) }
            #expect(error?.variable == "CUSTOS_HSTS_MAX_AGE_SECONDS")
        }
    }
}
