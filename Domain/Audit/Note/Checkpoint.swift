import Foundation

/// A C2SP tlog-checkpoint body: the log's origin line, the tree size in decimal, the root hash in
/// base64, then optional extension lines. It is the text of a signed note.
public struct Checkpoint: Hashable, Sendable {
    public static let rootHashByteCount = 32
    public static let extensionLinesMax = 16

    public let origin: String
    public let size: UInt64
    public let rootHash: [UInt8]
    public let extensionLines: [String]

    public init(origin: String, size: UInt64, rootHash: [UInt8], extensionLines: [String] = []) throws(NoteError) {
        guard !origin.isEmpty, !origin.contains("\n"), origin.unicodeScalars.first?.properties.isWhitespace == false,
              origin.unicodeScalars.last?.properties.isWhitespace == false
        else { throw .malformedNote("the origin line is empty or has surrounding spaces") }
        guard rootHash.count == Checkpoint.rootHashByteCount else { throw .malformedNote("the root hash is not 32 bytes") }
        guard extensionLines.count <= Checkpoint.extensionLinesMax,
              extensionLines.allSatisfy({ !$0.isEmpty && !$0.contains("\n") })
        else { throw .malformedNote("invalid extension lines") }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// Parses a signed note's text as a checkpoint.
    public init(parsing text: String) throws(NoteError) {
        guard text.hasSuffix("\n") else { throw .malformedNote("a checkpoint ends in a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw .malformedNote("a checkpoint has an origin, a size and a root hash") }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              sizeText == "0" || !sizeText.hasPrefix("0"), let size = UInt64(sizeText)
        else { throw .malformedNote("the size line is not a decimal number without leading zeros") }
        guard let root = Data(base64Encoded: lines[2]) else { throw .malformedNote("the root hash is not base64") }
        try self.init(origin: lines[0], size: size, rootHash: Array(root), extensionLines: Array(lines.dropFirst(3)))
    }

    /// The note text that gets signed.
    public var text: String {
        ([origin, String(size), Data(rootHash).base64EncodedString()] + extensionLines).joined(separator: "\n") + "\n"
    }
}
