import Domain
import SodiumAdapters
import Testing

/// libsodium is linked through the CSodium system library and initialises; its SHA-256 agrees
/// with the core's pure-Swift one on random inputs of every length up to three blocks.
@Suite struct SodiumTests {
    @Test func initialisesAndReportsItsVersion() throws {
        let version = try Sodium.initialize()
        #expect(version.split(separator: ".").count == 3)
        #expect(try Sodium.initialize() == version)
    }

    @Test func sha256AgreesWithTheCore() throws {
        try Sodium.initialize()
        var generator = SystemRandomNumberGenerator()
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Sodium.sha256(bytes) == SHA256.hash(bytes), "length \(length)")
        }
    }
}
