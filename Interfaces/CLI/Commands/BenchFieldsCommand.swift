import ArgumentParser
import CSodium
import Domain
import Foundation
import SodiumAdapters

extension BenchCommand {
    /// `custos bench fields`: field encryption on one thread, beside raw libsodium doing the same
    /// cryptographic work in the same run: sealing a 64-byte field through `SodiumFieldCipher`
    /// (key cached) against `crypto_aead_xchacha20poly1305_ietf_encrypt` with a `randombytes_buf`
    /// nonce into a preallocated buffer, with associated data of the same length; opening against
    /// the raw decryption; a blind-index value through `SodiumBlindIndexer` against a raw keyed
    /// BLAKE2b-256 (`crypto_generichash`) of the same 64 bytes. Rounds interleave the six
    /// measurements, each timed by the thread's CPU time; the medians and their ratios are printed.
    struct Fields: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Field sealing, opening and blind-index rates on one core, beside raw libsodium (use a release build)."
        )
        @Option(help: "Interleaved rounds (1 to 101).") var rounds = 9
        @Option(help: "Operations of each kind per round (1,000 to 10,000,000).") var operations = 200_000
        @Option(help: ArgumentHelp("Run only this measurement (for profiling).", visibility: .hidden)) var only: Measurement?

        static let fieldByteCount = 64

        func run() throws {
            guard (1...101).contains(rounds), (1_000...10_000_000).contains(operations) else {
                throw ValidationError("--rounds must be 1 to 101 and --operations 1,000 to 10,000,000")
            }
            try Sodium.initialize()
            let subjects = try Subjects()
            var rates: [Measurement: [Double]] = [:]
            for _ in 0..<rounds {
                for measurement in Measurement.allCases where only == nil || only == measurement {
                    let start = Self.threadCPUSeconds()
                    try subjects.run(measurement, times: operations)
                    rates[measurement, default: []].append(Double(operations) / (Self.threadCPUSeconds() - start))
                }
            }
            if let only {
                print(String(format: "fields: %@ %.0f/s", only.label, rates[only]!.sorted()[rounds / 2]))
                return
            }
            func median(_ values: [Double]) -> Double {
                let sorted = values.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            print("fields: \(Self.fieldByteCount)-byte field, one thread, rates per CPU second, \(rounds) interleaved rounds of \(operations) operations each, medians (range):")
            for (ours, raw) in [(Measurement.seal, Measurement.rawEncrypt), (.open, .rawDecrypt), (.blindIndex, .rawHash)] {
                let oursRates = rates[ours]!, rawRates = rates[raw]!
                let ratios = zip(oursRates, rawRates).map { $0 / $1 }
                print(String(
                    format: "fields: %@ %.0f/s (%.0f–%.0f) | raw %@ %.0f/s (%.0f–%.0f) | ratio of the medians %.2f | ratios of the rounds: median %.2f (%.2f–%.2f)",
                    ours.label, median(oursRates), oursRates.min()!, oursRates.max()!,
                    raw.label, median(rawRates), rawRates.min()!, rawRates.max()!,
                    median(oursRates) / median(rawRates), median(ratios), ratios.min()!, ratios.max()!
                ))
            }
            if subjects.sink.value == 0x5a5a_5a5a { print("") }  // keeps every result observable
        }

        /// The CPU time this thread has used (user and system): on a shared machine, time spent
        /// waiting for a core while other processes ran does not count against either side.
        static func threadCPUSeconds() -> Double {
            var time = timespec()
            precondition(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0, "clock_gettime failed")
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }

        enum Measurement: String, CaseIterable, ExpressibleByArgument {
            case rawEncrypt = "raw-encrypt", seal, rawDecrypt = "raw-decrypt", open, rawHash = "raw-hash", blindIndex = "blind-index"

            var label: String {
                switch self {
                case .rawEncrypt: "crypto_aead_xchacha20poly1305_ietf_encrypt"
                case .seal: "seal"
                case .rawDecrypt: "crypto_aead_xchacha20poly1305_ietf_decrypt"
                case .open: "open"
                case .rawHash: "crypto_generichash (keyed, 32 bytes)"
                case .blindIndex: "blind index"
                }
            }
        }

        /// Results are folded into this, so that no measured call can be optimised away.
        final class Sink {
            var value: UInt64 = 0
        }

        /// What every measurement works on, prepared once.
        struct Subjects {
            let cipher: SodiumFieldCipher
            let indexer: SodiumBlindIndexer
            let key: WrappedDataKey
            let binding: FieldBinding
            let tenant = TenantID(UUID())
            let plaintext: [UInt8]
            let sealed: SealedField
            let sink = Sink()
            /// The raw baselines' key, associated data (as long as a sealed field's) and their
            /// own ciphertext.
            let rawKey: [UInt8]
            let rawAAD: [UInt8]
            let rawNonce: [UInt8]
            let rawSealed: [UInt8]

            init() throws {
                let rootKey = try RootKey.generate()
                cipher = try SodiumFieldCipher(rootKey: rootKey)
                indexer = try SodiumBlindIndexer(rootKey: rootKey)
                key = try cipher.makeDataKey(DataKeyReference(id: DataKeyID(UUID()), version: 1), tenant: tenant, kekVersion: 1)
                binding = FieldBinding(tenant: tenant, table: "transactions", column: "counterparty_name", rowID: UUID())
                plaintext = (0..<Fields.fieldByteCount).map { _ in UInt8.random(in: 0...255) }
                sealed = try cipher.seal(plaintext, key: key, binding: binding)
                guard try cipher.open(sealed, key: key, binding: binding) == plaintext else {
                    throw ValidationError("a sealed field did not open to its plaintext")
                }
                var rawKey = [UInt8](repeating: 0, count: 32)
                crypto_aead_xchacha20poly1305_ietf_keygen(&rawKey)
                self.rawKey = rawKey
                rawAAD = Array(sealed.bytes[0..<SealedField.headerByteCount]) + binding.associatedData(keyVersion: 1)
                var nonce = [UInt8](repeating: 0, count: 24)
                randombytes_buf(&nonce, 24)
                rawNonce = nonce
                var out = [UInt8](repeating: 0, count: Fields.fieldByteCount + 16)
                var written: UInt64 = 0
                guard crypto_aead_xchacha20poly1305_ietf_encrypt(
                    &out, &written, plaintext, UInt64(plaintext.count), rawAAD, UInt64(rawAAD.count), nil, nonce, rawKey
                ) == 0 else { throw ValidationError("crypto_aead_xchacha20poly1305_ietf_encrypt failed") }
                rawSealed = out
            }

            func run(_ measurement: Measurement, times: Int) throws {
                switch measurement {
                case .seal:
                    for _ in 0..<times { sink.value &+= UInt64(try cipher.seal(plaintext, key: key, binding: binding).bytes[80]) }
                case .open:
                    for _ in 0..<times { sink.value &+= UInt64(try cipher.open(sealed, key: key, binding: binding)[0]) }
                case .blindIndex:
                    let components = [plaintext]
                    let index = BlindIndex.counterpartyName
                    for _ in 0..<times { sink.value &+= UInt64(indexer.value(of: components, in: index, tenant: tenant)) }
                case .rawEncrypt:
                    runRawEncrypt(times: times)
                case .rawDecrypt:
                    try runRawDecrypt(times: times)
                case .rawHash:
                    var digest = [UInt8](repeating: 0, count: 32)
                    digest.withUnsafeMutableBufferPointer { out in
                        for _ in 0..<times {
                            _ = crypto_generichash(out.baseAddress!, 32, plaintext, UInt64(plaintext.count), rawKey, 32)
                            sink.value &+= UInt64(out[0])
                        }
                    }
                }
            }

            private func runRawEncrypt(times: Int) {
                var out = [UInt8](repeating: 0, count: Fields.fieldByteCount + 16)
                var nonce = [UInt8](repeating: 0, count: 24)
                out.withUnsafeMutableBufferPointer { out in
                    nonce.withUnsafeMutableBufferPointer { nonce in
                        for _ in 0..<times {
                            randombytes_buf(nonce.baseAddress!, 24)
                            var written: UInt64 = 0
                            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                                out.baseAddress!, &written, plaintext, UInt64(plaintext.count), rawAAD, UInt64(rawAAD.count), nil,
                                nonce.baseAddress!, rawKey
                            )
                            sink.value &+= UInt64(out[3])
                        }
                    }
                }
            }

            private func runRawDecrypt(times: Int) throws {
                var out = [UInt8](repeating: 0, count: Fields.fieldByteCount)
                var failures = 0
                out.withUnsafeMutableBufferPointer { out in
                    for _ in 0..<times {
                        var written: UInt64 = 0
                        failures += Int(crypto_aead_xchacha20poly1305_ietf_decrypt(
                            out.baseAddress!, &written, nil, rawSealed, UInt64(rawSealed.count), rawAAD, UInt64(rawAAD.count), rawNonce, rawKey
                        ) != 0 ? 1 : 0)
                        sink.value &+= UInt64(out[0])
                    }
                }
                guard failures == 0 else { throw ValidationError("the raw baseline did not decrypt") }
            }
        }
    }
}
