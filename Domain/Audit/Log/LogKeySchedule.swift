/// Which signing keys of one log sign which checkpoints (docs/audit-log.md §5.3).
///
/// Every log starts at key version 1. A rotation to version `v` is announced by a
/// `log.key_rotated` entry in the log itself; from the first checkpoint that covers that entry,
/// key `v` signs every checkpoint. Key `v − 1` signs that first covering checkpoint too (so a
/// verifier that trusts the old key learns the new one under a signature it trusts), and keeps
/// signing until the overlap the rotation named has passed.
public struct LogKeySchedule: Hashable, Sendable {
    /// A rotation as the log announced it and a signed checkpoint first covered it.
    public struct Rotation: Hashable, Sendable {
        /// The new key version: one more than the version before it.
        public let version: UInt32
        /// The index of the `log.key_rotated` entry that announced it.
        public let entryIndex: UInt64
        /// The old key signs checkpoints until this time (Unix milliseconds).
        public let overlapUntilMs: UInt64

        public init(version: UInt32, entryIndex: UInt64, overlapUntilMs: UInt64) {
            precondition(version >= 2, "version 1 is every log's first key; rotations start at 2")
            self.version = version
            self.entryIndex = entryIndex
            self.overlapUntilMs = overlapUntilMs
        }
    }

    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case outOfOrder(version: UInt32, expected: UInt32)
        public var description: String {
            switch self {
            case let .outOfOrder(version, expected): "key version \(version) announced where version \(expected) was due"
            }
        }
    }

    /// Rotations in order, versions 2, 3, … with entry indices strictly rising (one entry announces one version).
    public private(set) var rotations: [Rotation]

    public init() {
        rotations = []
    }

    /// A schedule from stored rotations; they must run 2, 3, … with rising entry indices.
    public init(rotations: [Rotation]) throws(Invalid) {
        self.init()
        for rotation in rotations.sorted(by: { $0.version < $1.version }) { try add(rotation) }
    }

    /// The version that signs checkpoints covering every announced rotation.
    public var currentVersion: UInt32 { rotations.last?.version ?? 1 }

    /// Every version this log has had, oldest first: the keys its checkpoints may carry.
    public var versions: [UInt32] { Array(1...currentVersion) }

    /// Records a rotation announced by entry `rotation.entryIndex`; it must be the next version.
    public mutating func add(_ rotation: Rotation) throws(Invalid) {
        guard rotation.version == currentVersion + 1, rotations.last.map({ rotation.entryIndex > $0.entryIndex }) ?? true else {
            throw .outOfOrder(version: rotation.version, expected: currentVersion + 1)
        }
        rotations.append(rotation)
    }

    /// The key versions that sign the checkpoint of `size` entries following one of
    /// `previousSize`, at `nowMs`: ascending, newest last.
    public func signingVersions(size: UInt64, previousSize: UInt64, nowMs: UInt64) -> [UInt32] {
        let covered = rotations.filter { $0.entryIndex < size }
        var versions: Set<UInt32> = [covered.last?.version ?? 1]
        for rotation in covered where rotation.entryIndex >= previousSize || nowMs < rotation.overlapUntilMs {
            versions.insert(rotation.version - 1)
        }
        return versions.sorted()
    }
}
