import CSodium
import Dispatch
import Domain
import Synchronization

/// `SecretHasher` with libsodium's Argon2id (`crypto_pwhash_str_alg`, `crypto_pwhash_ALG_ARGON2ID13`):
/// a random salt per hash, and the PHC string form (`$argon2id$v=19$m=65536,t=2,p=1$salt$hash`),
/// which carries the parameters, so that raising them later still verifies older hashes.
public struct SodiumSecretHasher: SecretHasher {
    /// Argon2id work factors.
    public struct Cost: Sendable, Hashable {
        public let operations: UInt64
        public let memoryBytes: Int

        /// libsodium's interactive parameters (2 passes over 64 MiB): what the server uses. A
        /// client secret has 256 random bits, so the hash guards a leaked table, not a guessable
        /// password; the cost is paid once per token request.
        public static var interactive: Cost {
            Cost(operations: UInt64(crypto_pwhash_opslimit_interactive()), memoryBytes: crypto_pwhash_memlimit_interactive())
        }

        /// The least libsodium accepts: for tests, never for stored secrets.
        public static var minimum: Cost {
            Cost(operations: UInt64(crypto_pwhash_opslimit_min()), memoryBytes: crypto_pwhash_memlimit_min())
        }

        public init(operations: UInt64, memoryBytes: Int) {
            self.operations = operations
            self.memoryBytes = memoryBytes
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        /// Out of memory, or a secret too long.
        case hashingFailed
        case secretTooLong
        public var description: String {
            switch self {
            case .hashingFailed: "Argon2id hashing failed (out of memory?)"
            case .secretTooLong: "a secret is at most \(SodiumSecretHasher.secretBytesMax) bytes"
            }
        }
    }

    /// The longest secret hashed: far more than a generated one (46 bytes).
    public static let secretBytesMax = 1_024

    private let cost: Cost
    private let gate: Gate

    /// At most `verificationsRunningMax` verifications run at once, each on a thread of its own
    /// (never on Swift's cooperative pool, which a 100 ms hash would stall), and at most
    /// `verificationsWaitingMax` wait; more are refused at once with `SecretHasherBusy`. With the
    /// interactive cost that bounds the memory to 4 × 64 MiB.
    public init(cost: Cost = .interactive, verificationsRunningMax: Int = 4, verificationsWaitingMax: Int = 64) throws {
        precondition(verificationsRunningMax >= 1 && verificationsWaitingMax >= 0, "at least one verification runs")
        try Sodium.initialize()
        self.cost = cost
        self.gate = Gate(runningMax: verificationsRunningMax, waitingMax: verificationsWaitingMax)
    }

    /// Admission to run a verification: a count of those running and a queue of those waiting.
    final class Gate: Sendable {
        private struct State {
            var running = 0
            /// Resumed with `true` when handed a slot.
            var waiting: [CheckedContinuation<Bool, Never>] = []
        }

        private let state = Mutex(State())
        let runningMax: Int
        let waitingMax: Int
        /// Where the hashing runs: a queue of its own, off the cooperative pool.
        let queue = DispatchQueue(label: "custos.secret-hasher", attributes: .concurrent)

        init(runningMax: Int, waitingMax: Int) {
            self.runningMax = runningMax
            self.waitingMax = waitingMax
        }

        /// Takes a slot, waiting for one while fewer than `waitingMax` wait; else refuses.
        func enter() async throws(SecretHasherBusy) {
            let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.running < runningMax {
                        state.running += 1
                        return true
                    }
                    guard state.waiting.count < waitingMax else { return false }
                    state.waiting.append(continuation)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
            if !admitted { throw SecretHasherBusy() }
        }

        /// How many wait for a slot now.
        var waitingCount: Int { state.withLock { $0.waiting.count } }

        /// Hands the slot to the first waiter, or frees it.
        func leave() {
            let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                if state.waiting.isEmpty {
                    state.running -= 1
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume(returning: true)
        }
    }

    public func hash(_ secret: String) throws -> String {
        let bytes = secret.utf8.map { CChar(bitPattern: $0) }
        guard bytes.count <= Self.secretBytesMax else { throw Failure.secretTooLong }
        var output = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        let status = crypto_pwhash_str_alg(
            &output, bytes, UInt64(bytes.count), cost.operations, cost.memoryBytes, crypto_pwhash_alg_argon2id13()
        )
        guard status == 0 else { throw Failure.hashingFailed }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func verify(_ secret: String, against hash: String) async throws(SecretHasherBusy) -> Bool {
        try await gate.enter()
        defer { gate.leave() }
        return await withCheckedContinuation { continuation in
            gate.queue.async { continuation.resume(returning: self.verifyNow(secret, against: hash)) }
        }
    }

    /// The verification itself, on the caller's thread (for the command line and tests).
    public func verifyNow(_ secret: String, against hash: String) -> Bool {
        let bytes = secret.utf8.map { CChar(bitPattern: $0) }
        // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES; anything
        // longer or not Argon2id is refused before libsodium sees it.
        guard bytes.count <= Self.secretBytesMax, hash.utf8.count < crypto_pwhash_strbytes(), hash.hasPrefix("$argon2id$") else {
            return false
        }
        return crypto_pwhash_str_verify(hash, bytes, UInt64(bytes.count)) == 0
    }
}
