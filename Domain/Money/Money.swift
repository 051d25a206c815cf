/// An amount of money: a whole number of minor units (cents, fils, yen) in one currency.
/// There is no floating point anywhere on this path.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    /// The largest amount Custos books in one movement, in minor units: 15 decimal digits.
    /// It stays below 2^53, so every JSON consumer (including IEEE-754 parsers) reads it exactly,
    /// and sums of up to 9,000 maximal amounts still fit in Int64.
    public static let amountMinorMax: Int64 = 999_999_999_999_999

    public let amountMinor: Int64
    public let currency: Currency

    /// Only positive amounts up to `amountMinorMax`; direction is carried separately.
    public init?(amountMinor: Int64, currency: Currency) {
        guard amountMinor > 0, amountMinor <= Money.amountMinorMax else { return nil }
        self.amountMinor = amountMinor
        self.currency = currency
    }

    /// "12.34 EUR", "1200 JPY", "1.234 KWD": exact decimal rendering, for people.
    public var description: String {
        let digits = String(amountMinor)
        let exponent = currency.minorUnitExponent
        guard exponent > 0 else { return "\(digits) \(currency.code)" }
        let padded = String(repeating: "0", count: max(0, exponent + 1 - digits.count)) + digits
        let split = padded.index(padded.endIndex, offsetBy: -exponent)
        return "\(padded[..<split]).\(padded[split...]) \(currency.code)"
    }
}
