extension CanonicalJSON {
    /// An integer within ±(2^53 − 1) (ECMAScript's `Number.MAX_SAFE_INTEGER`): every JSON
    /// implementation, including those that read numbers as IEEE 754 doubles, holds it exactly.
    /// A value outside that range cannot be constructed.
    public struct SafeInteger: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// 2^53 − 1 = 9,007,199,254,740,991.
        public static let magnitudeMax: Int64 = 9_007_199_254_740_991

        /// 2^53 − 1.
        public static let max = SafeInteger(checked: magnitudeMax)
        /// −(2^53 − 1).
        public static let min = SafeInteger(checked: -magnitudeMax)

        /// The integer, always within ±(2^53 − 1).
        public let value: Int64

        /// `nil` when `value` is outside ±(2^53 − 1).
        public init?(exactly value: some BinaryInteger) {
            guard let value = Int64(exactly: value), (-Self.magnitudeMax...Self.magnitudeMax).contains(value) else {
                return nil
            }
            self.value = value
        }

        private init(checked value: Int64) {
            precondition((-Self.magnitudeMax...Self.magnitudeMax).contains(value), "safe integer out of range")
            self.value = value
        }

        public static func < (lhs: SafeInteger, rhs: SafeInteger) -> Bool { lhs.value < rhs.value }

        /// Plain decimal, as in the canonical form.
        public var description: String { String(value) }
    }
}
