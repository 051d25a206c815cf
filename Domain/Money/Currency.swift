/// An ISO 4217 currency with the exponent of its minor unit (2 for EUR: 1 EUR = 100 cents).
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let minorUnitExponent: Int

    /// Looks the code up in the catalogue. Only upper-case alphabetic codes of active
    /// currencies with a defined minor unit are accepted (no funds without minor unit, no metals).
    public init?(code: String) {
        guard let exponent = Currency.catalogue[code] else { return nil }
        self.code = code
        self.minorUnitExponent = exponent
    }

    public var description: String { code }

    /// ISO 4217 List One, active codes with a numeric minor unit, amendments through 2025
    /// (XCG added, HRK, SLL and ANG withdrawn). Codes whose minor unit is "N.A."
    /// (XAU, XDR, XXX, …) are not money that Custos books.
    public static let catalogue: [String: Int] = {
        var table: [String: Int] = [:]
        for (exponent, codes) in exponentGroups {
            for code in codes.split(separator: " ") {
                precondition(table[String(code)] == nil, "duplicate currency \(code)")
                table[String(code)] = exponent
            }
        }
        return table
    }()

    private static let exponentGroups: [(Int, String)] = [
        (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
        (3, "BHD IQD JOD KWD LYD OMR TND"),
        (4, "CLF UYW"),
        (2, """
            AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD \
            CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL \
            GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR \
            LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD \
            PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC \
            SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
            """),
    ]
}
