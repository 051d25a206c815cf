import Foundation

/// The whole of an open regular file whose `fstat` size was `size`: read straight into the
/// returned array, retried on EINTR. Nil when the file turned out shorter, or has more bytes
/// after `size` (it changed while being read: not the file that was measured); what was read is
/// overwritten before it is dropped, since the file may hold a key.
func readExactly(descriptor: Int32, size: Int) -> [UInt8]? {
    precondition(size >= 0, "a file's size is not negative")
    var complete = true
    var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        while initialized < size {
            let count = Foundation.read(descriptor, buffer.baseAddress! + initialized, size - initialized)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            initialized += count
        }
        complete = initialized == size
    }
    var probe: UInt8 = 0
    guard complete, Foundation.read(descriptor, &probe, 1) == 0 else {
        for index in bytes.indices { bytes[index] = 0 }
        return nil
    }
    return bytes
}

/// Why `readRegularFile` refused a file.
public enum FileReadRefusal: Error, Equatable, CustomStringConvertible {
    /// It does not open (the reason is the system's, e.g. "No such file or directory").
    case unreadable(String)
    /// A directory, FIFO, device or socket: reading one could block or never end.
    case notRegular
    case tooLarge(bytesMax: Int)
    /// It changed size while being read.
    case changed

    public var description: String {
        switch self {
        case .unreadable(let reason): "cannot be read: \(reason)"
        case .notRegular: "is not a regular file"
        case .tooLarge(let bytesMax): "is larger than \(bytesMax) bytes"
        case .changed: "changed while being read"
        }
    }
}

/// The whole of the regular file at `path`, at most `bytesMax` bytes: one open, one fstat, and
/// reads straight into the returned array. A file that is not regular, or larger than
/// `bytesMax`, is refused before any of it is read; one that changes while being read is refused
/// too. What each refusal means to the caller (a missing export file, a bad PEM file) is the
/// caller's to say.
public func readRegularFile(atPath path: String, bytesMax: Int) throws(FileReadRefusal) -> [UInt8] {
    precondition(bytesMax >= 0, "a limit is not negative")
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegular }
    guard status.st_size <= bytesMax else { throw .tooLarge(bytesMax: bytesMax) }
    guard let bytes = readExactly(descriptor: descriptor, size: Int(status.st_size)) else { throw .changed }
    return bytes
}
