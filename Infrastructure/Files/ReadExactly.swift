import Foundation

/// The whole of an open regular file whose `fstat` size was `size`: read straight into the
/// returned array, retried on EINTR. Nil when the file turned out shorter, or has more bytes
/// after `size` (it changed while being read: not the file that was measured); what was read is
/// overwritten before it is dropped, since the file may hold a key.
public func readExactly(descriptor: Int32, size: Int) -> [UInt8]? {
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
