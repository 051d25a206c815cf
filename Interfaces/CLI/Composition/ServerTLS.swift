import FileAdapters
import Foundation
import Logging
import NIOSSL

/// TLS on the listener of `custos serve` (docs/deployment.md): the certificate chain and private
/// key from PEM files, TLS 1.2 at least, and with a client CA file, client certificates required
/// and verified against it (mTLS). Everything is read and checked before the server starts, so a
/// bad file stops start-up with one line that names the flag, the variable and the path, and
/// never any of the file's content.
struct ServerTLS: Sendable {
    /// The most a certificate, key or CA file may hold.
    static let pemBytesMax = 1 << 20
    /// TLS 1.2 suites: forward-secret key exchange and AEAD only, as in deploy/nginx/custos.conf
    /// (swift-nio-ssl's default list also allows RSA key exchange and CBC). TLS 1.3 suites are
    /// all of that kind and not configurable.
    static let cipherSuitesTLS12 = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    let configuration: TLSConfiguration
    /// Whether every client must present a certificate that chains to the client CA file.
    let clientCertificatesRequired: Bool
    /// The end of the leaf certificate's validity, in seconds since 1970, for the start-up log.
    let certificateNotValidAfterSeconds: Int

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The three files: which flag and variable name each, for the messages.
    enum Input: String {
        case certificate = "--tls-cert (CUSTOS_TLS_CERT_FILE)"
        case key = "--tls-key (CUSTOS_TLS_KEY_FILE)"
        case clientCA = "--tls-client-ca (CUSTOS_TLS_CLIENT_CA_FILE)"
    }

    /// nil when neither a certificate nor a key is configured: plain HTTP.
    static func load(_ configuration: Configuration) throws(Invalid) -> ServerTLS? {
        switch (configuration.tlsCertificateFile, configuration.tlsKeyFile) {
        case (nil, nil):
            guard configuration.tlsClientCAFile == nil else {
                throw Invalid(description: "\(Input.clientCA.rawValue) needs \(Input.certificate.rawValue) and \(Input.key.rawValue)")
            }
            return nil
        case (.some, nil):
            throw Invalid(description: "\(Input.key.rawValue) must be given with \(Input.certificate.rawValue)")
        case (nil, .some):
            throw Invalid(description: "\(Input.certificate.rawValue) must be given with \(Input.key.rawValue)")
        case (.some(let certificatePath), .some(let keyPath)):
            return try make(certificatePath: certificatePath, keyPath: keyPath, clientCAPath: configuration.tlsClientCAFile)
        }
    }

    static func make(certificatePath: String, keyPath: String, clientCAPath: String?) throws(Invalid) -> ServerTLS {
        let chain = try certificates(.certificate, path: certificatePath)
        let key = try privateKey(path: keyPath)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = nil  // TLS 1.3
        configuration.cipherSuites = cipherSuitesTLS12
        configuration.applicationProtocols = ["http/1.1"]
        configuration.renegotiationSupport = .none
        if let clientCAPath {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try certificates(.clientCA, path: clientCAPath))
            configuration.additionalTrustRoots = []
            configuration.sendCANameList = true
        } else {
            configuration.certificateVerification = .none
        }
        // The context is what the handshakes use; making it here checks that the key is the
        // certificate's (BoringSSL compares their public halves) before anything starts.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw Invalid(description: "\(Input.key.rawValue) file \(keyPath) does not match the certificate in \(certificatePath)")
        } catch NIOSSLError.failedToLoadCertificate {
            // BoringSSL refuses a leaf it could never sign a handshake with, such as a CA
            // certificate whose key usage is only certificate signing.
            throw Invalid(description: "\(Input.certificate.rawValue) file \(certificatePath) starts with a certificate that cannot serve TLS")
        } catch {
            let reason = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            throw Invalid(description: "the TLS files \(certificatePath) and \(keyPath) cannot be used together: \(reason)")
        }
        return ServerTLS(
            configuration: configuration, clientCertificatesRequired: clientCAPath != nil,
            certificateNotValidAfterSeconds: Int(chain[0].notValidAfter)
        )
    }

    /// The certificate's expiry at start-up: a warning once it has passed (clients will refuse it).
    func logValidity(to logger: Logger, now: Date = Date()) {
        let notAfter = Date(timeIntervalSince1970: TimeInterval(certificateNotValidAfterSeconds))
        let metadata: Logger.Metadata = ["not_after": .string(notAfter.formatted(.iso8601))]
        if notAfter <= now {
            logger.warning("the TLS certificate has expired", metadata: metadata)
        } else {
            logger.info("TLS certificate", metadata: metadata)
        }
    }

    private static func certificates(_ input: Input, path: String) throws(Invalid) -> [NIOSSLCertificate] {
        let bytes = try read(input, path: path)
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw Invalid(description: "\(input.rawValue) file \(path) holds no PEM certificate")
        }
        return certificates
    }

    private static func privateKey(path: String) throws(Invalid) -> NIOSSLPrivateKey {
        var bytes = try read(.key, path: path)
        defer { wipe(&bytes) }
        // BoringSSL asks no passphrase without a callback: an encrypted key simply fails to load.
        // Say so, rather than call it malformed.
        let encrypted = contains(bytes, "ENCRYPTED PRIVATE KEY") || contains(bytes, "Proc-Type: 4,ENCRYPTED")
        guard !encrypted else {
            throw Invalid(description: "\(Input.key.rawValue) file \(path) holds an encrypted private key: give it unencrypted, readable only by the server's user")
        }
        guard let key = try? NIOSSLPrivateKey(bytes: bytes, format: .pem) else {
            throw Invalid(description: "\(Input.key.rawValue) file \(path) holds no PEM private key")
        }
        return key
    }

    /// The whole file, refused when it is not a regular file, is empty, or is larger than
    /// `pemBytesMax` (before any of it is read), or changes size while being read.
    static func read(_ input: Input, path: String) throws(Invalid) -> [UInt8] {
        func refuse(_ reason: String) -> Invalid { Invalid(description: "\(input.rawValue) file \(path) \(reason)") }
        let bytes: [UInt8]
        do {
            bytes = try readRegularFile(atPath: path, bytesMax: pemBytesMax)
        } catch {
            throw refuse(error.description)
        }
        guard !bytes.isEmpty else { throw refuse("is empty") }
        return bytes
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { start in bytes[start..<(start + needle.count)].elementsEqual(needle) }
    }

    /// Overwrites the key file's bytes once they are parsed (best effort: BoringSSL keeps its own copy).
    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            #if canImport(Glibc)
            explicit_bzero(base, buffer.count)
            #else
            _ = memset_s(base, buffer.count, 0, buffer.count)
            #endif
        }
    }
}
