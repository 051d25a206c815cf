import Domain
import Foundation
import Testing

@Suite struct IdentifierTests {
    @Test func descriptionIsTheLowerCaseCanonicalForm() {
        let fixed = TenantID(UUID(uuidString: "0B000000-0000-4000-8000-00000000000B")!)
        #expect(fixed.description == "0b000000-0000-4000-8000-00000000000b")
        for _ in 0..<1_000 {
            let uuid = UUID()
            #expect(TransactionID(uuid).description == uuid.uuidString.lowercased())
        }
    }

    @Test func descriptionReadsBack() {
        let id = TransactionID(UUID())
        #expect(TransactionID(string: id.description) == id)
    }
}
