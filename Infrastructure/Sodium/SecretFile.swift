import CSodium
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and creating small files that hold secrets (key files).
enum SecretFile {
    /// The errors `read` reports, in the caller's own error type.
    struct Failures<Failure: Error> {
        let unreadable: Failure
        let notRegularFile: Failure
        let notOwned: Failure
        let tooOpen: Failure
        /// Longer than `bytesMax`.
        let tooLarge: Failure
    }

    /// The contents of the file at `path`, if it is a regular file owned by the effective user,
    /// with no permission bit for group or others, of at most `bytesMax` bytes. The checks are
    /// made with `fstat` on the descriptor that is then read, so the path cannot be swapped
    /// between check and read. The caller wipes the returned bytes.
    static func read<Failure: Error>(path: String, bytesMax: Int, failures: Failures<Failure>) throws(Failure) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not hang (it is then refused as not a regular file).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else { throw failures.unreadable }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failures.unreadable }
        guard status.st_mode & S_IFMT == S_IFREG else { throw failures.notRegularFile }
        guard status.st_uid == geteuid() else { throw failures.notOwned }
        guard status.st_mode & 0o077 == 0 else { throw failures.tooOpen }
        guard status.st_size <= bytesMax else { throw failures.tooLarge }
        var contents = [UInt8](repeating: 0, count: bytesMax + 1)
        var length = 0
        while length < contents.count {
            let count = contents.withUnsafeMutableBytes { readBytes(descriptor, $0.baseAddress! + length, $0.count - length) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                sodium_memzero(&contents, contents.count)
                throw failures.unreadable
            }
            if count == 0 { break }
            length += count
        }
        guard length <= bytesMax else {
            sodium_memzero(&contents, contents.count)
            throw failures.tooLarge
        }
        // Shrinking in place keeps the same storage: nothing is copied.
        contents.removeSubrange(length...)
        return contents
    }

    /// Creates a new file at `path` holding `contents`, mode 0600 from the start (`O_EXCL`: never
    /// over an existing file, never a moment at a wider mode), synced to disk. False on failure;
    /// a partly written file is removed.
    static func create(path: String, contents: [UInt8]) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return false }
        var written = 0
        while written < contents.count {
            let count = contents.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            written += count
        }
        let synced = written == contents.count && fsync(descriptor) == 0
        let closed = close(descriptor) == 0
        guard synced && closed else {
            unlink(path)
            return false
        }
        return true
    }
}

private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(descriptor, buffer, count)
    #else
    Darwin.read(descriptor, buffer, count)
    #endif
}
