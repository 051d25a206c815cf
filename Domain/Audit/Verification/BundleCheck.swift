import Foundation

/// The part of checking one entry bundle that needs nothing from the bundles before it, so
/// that bundles can be checked side by side: split the bundle into entries, run each entry's
/// own checks (`EntryChain.precheck`), hash every entry and the bundle's subtrees. Linking the
/// entries to their predecessors stays sequential (`AuditLogVerifier`).
struct BundleCheck: Sendable {
    let bundle: UInt64
    /// Index of the bundle's first entry.
    let first: UInt64
    /// Entries the checkpoint needs in this bundle.
    let width: Int
    let bytes: [UInt8]
    /// Why the bundle could not be read or split, as the verifier reports it.
    var unreadable: String?
    /// Each entry's place in `bytes`: all of them, even past `width`.
    var entries: [Range<Int>] = []
    /// For the first `width` entries (at most): what their own checks found.
    var prechecked: [EntryChain.Prechecked?] = []
    /// The bundle's perfect subtrees (`VerifiedTree.bundleLevels`) over its first `width` entries.
    var levels: [[SHA256Digest]] = []

    /// One bundle as read from the source, in order, before it is checked.
    struct Read: Sendable {
        let bundle: UInt64
        let first: UInt64
        let width: Int
        /// The bundle's bytes, or why it could not be read.
        let bytes: Result<[UInt8], Unreadable>

        init(bundle: UInt64, first: UInt64, width: Int, reading: () throws -> [UInt8]) {
            self.bundle = bundle
            self.first = first
            self.width = width
            do {
                bytes = .success(try reading())
            } catch {
                bytes = .failure(Unreadable(reason: "\(error)"))
            }
        }
    }

    struct Unreadable: Error, Sendable {
        let reason: String
    }

    /// Checks `reads` side by side (as many at a time as the machine has cores) and returns the
    /// results in the same order.
    static func checkAll(_ reads: [Read], origin: [UInt8], hasher: any SHA256Hashing) -> [BundleCheck] {
        guard reads.count > 1 else { return reads.map { BundleCheck($0, origin: origin, hasher: hasher) } }
        let results = Results(count: reads.count)
        DispatchQueue.concurrentPerform(iterations: reads.count) { slot in
            results.set(slot, BundleCheck(reads[slot], origin: origin, hasher: hasher))
        }
        return results.all()
    }

    /// The results of a parallel loop, one slot per iteration, behind a lock.
    private final class Results: @unchecked Sendable {  // every access to `slots` holds `lock`
        private let lock = NSLock()
        private var slots: [BundleCheck?]

        init(count: Int) {
            slots = Array(repeating: nil, count: count)
        }

        func set(_ slot: Int, _ check: BundleCheck) {
            lock.withLock { slots[slot] = check }
        }

        func all() -> [BundleCheck] {
            lock.withLock {
                slots.map { slot in
                    guard let slot else { preconditionFailure("every bundle of the batch was checked") }
                    return slot
                }
            }
        }
    }

    /// Splits and checks one bundle.
    init(_ read: Read, origin: [UInt8], hasher: any SHA256Hashing) {
        bundle = read.bundle
        first = read.first
        width = read.width
        switch read.bytes {
        case .success(let bytes):
            self.bytes = bytes
        case .failure(let failure):
            bytes = []
            unreadable = failure.reason
            return
        }
        do throws(EntryBundle.DecodingError) {
            entries = try EntryBundle.split(bytes)
        } catch {
            unreadable = "\(error)"
            return
        }
        let checkedCount = min(width, entries.count)
        var leaves: [SHA256Digest] = []
        leaves.reserveCapacity(checkedCount)
        prechecked.reserveCapacity(checkedCount)
        bytes.withUnsafeBytes { raw in
            origin.withUnsafeBytes { origin in
                for (offset, range) in entries.prefix(checkedCount).enumerated() {
                    let entry = UnsafeRawBufferPointer(rebasing: raw[range])
                    leaves.append(hasher.leafHash(entry))
                    prechecked.append(EntryChain.precheck(entry, origin: origin, index: first + UInt64(offset)))
                }
            }
        }
        levels = VerifiedTree.bundleLevels(leaves: leaves, hasher: hasher)
    }
}
