extension CanonicalJSON {
    /// A JSON object: members with unique names, held in RFC 8785 order (names compared as
    /// sequences of UTF-16 code units), so that encoding is a plain walk.
    ///
    /// Names are unique by Unicode scalars, not by Swift's canonical equivalence: `"\u{E9}"` and
    /// `"e\u{301}"` are two different names, as they are in JSON.
    public struct Object: Hashable, Sendable {
        /// One name/value pair.
        public struct Member: Hashable, Sendable {
            /// The member name, compared by Unicode scalars.
            public let name: String
            /// The member value.
            public let value: CanonicalJSON

            /// A member; uniqueness is checked when members are gathered into an `Object`.
            public init(name: String, value: CanonicalJSON) {
                self.name = name
                self.value = value
            }

            public static func == (lhs: Member, rhs: Member) -> Bool {
                ExactText.equal(lhs.name, rhs.name) && lhs.value == rhs.value
            }

            public func hash(into hasher: inout Hasher) {
                ExactText.hash(name, into: &hasher)
                hasher.combine(value)
            }
        }

        /// The members, sorted by name in UTF-16 code-unit order; names are unique.
        public let members: [Member]

        /// An object with the entries of `dictionary`. Its keys are distinct even under canonical
        /// equivalence, so they are distinct by scalars too.
        public init(_ dictionary: [String: CanonicalJSON]) {
            guard let object = Object(uniqueMembers: dictionary.map { Member(name: $0.key, value: $0.value) }) else {
                preconditionFailure("dictionary keys are unique")
            }
            self = object
        }

        /// An object with `members` in any order; `nil` when two names are identical.
        public init?(uniqueMembers: some Sequence<Member>) {
            let keyed = uniqueMembers.map { (key: Array($0.name.utf16), member: $0) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            for index in keyed.indices.dropFirst() where keyed[index - 1].key == keyed[index].key {
                return nil
            }
            self.members = keyed.map(\.member)
        }

        /// The number of members.
        public var count: Int { members.count }

        /// The value of the member called `name` (matched by Unicode scalars), if any.
        public subscript(name: String) -> CanonicalJSON? {
            let key = Array(name.utf16)
            var low = 0
            var high = members.count
            while low < high {
                let middle = (low + high) / 2
                let candidate = members[middle].name.utf16
                if candidate.lexicographicallyPrecedes(key) {
                    low = middle + 1
                } else if key.lexicographicallyPrecedes(candidate) {
                    high = middle
                } else {
                    return members[middle].value
                }
            }
            return nil
        }
    }
}

extension CanonicalJSON {
    /// String equality and hashing by Unicode scalars (via UTF-8), unlike `String`'s own `==`,
    /// which treats canonically equivalent strings as equal. JSON compares names and values exactly.
    enum ExactText {
        static func equal(_ lhs: String, _ rhs: String) -> Bool {
            lhs.utf8.elementsEqual(rhs.utf8)
        }

        static func hash(_ text: String, into hasher: inout Hasher) {
            hasher.combine(text.utf8.count)
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }
}
