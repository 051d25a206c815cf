import Domain
import Testing

@Suite struct MoneyTests {
    @Test func currencyExponentsFollowISO4217() throws {
        #expect(try #require(Currency(code: "EUR")).minorUnitExponent == 2)
        #expect(try #require(Currency(code: "JPY")).minorUnitExponent == 0)
        #expect(try #require(Currency(code: "KWD")).minorUnitExponent == 3)
        #expect(try #require(Currency(code: "CLF")).minorUnitExponent == 4)
    }

    @Test(arguments: ["eur", "XYZ", "XAU", "EURO", "", "HRK"])
    func refusesCodesOutsideTheCatalogue(code: String) {
        #expect(Currency(code: code) == nil)
    }

    @Test func everyCatalogueCodeIsThreeUpperCaseLetters() {
        #expect(Currency.catalogue.count > 150)
        for (code, exponent) in Currency.catalogue {
            #expect(code.count == 3 && code.allSatisfy { $0.isASCII && $0.isUppercase }, "\(code)")
            #expect([0, 2, 3, 4].contains(exponent), "\(code)")
        }
    }

    @Test func amountsArePositiveAndBounded() throws {
        let eur = try #require(Currency(code: "EUR"))
        #expect(Money(amountMinor: 0, currency: eur) == nil)
        #expect(Money(amountMinor: -1, currency: eur) == nil)
        #expect(Money(amountMinor: Money.amountMinorMax + 1, currency: eur) == nil)
        #expect(Money(amountMinor: Money.amountMinorMax, currency: eur) != nil)
        #expect(Money.amountMinorMax < 1 << 53)
    }

    @Test func rendersExactDecimals() throws {
        #expect(Money(amountMinor: 12_345, currency: try #require(Currency(code: "EUR")))?.description == "123.45 EUR")
        #expect(Money(amountMinor: 5, currency: try #require(Currency(code: "EUR")))?.description == "0.05 EUR")
        #expect(Money(amountMinor: 1_200, currency: try #require(Currency(code: "JPY")))?.description == "1200 JPY")
        #expect(Money(amountMinor: 1_234, currency: try #require(Currency(code: "KWD")))?.description == "1.234 KWD")
    }
}
