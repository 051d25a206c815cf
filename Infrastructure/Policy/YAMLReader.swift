import Domain
import Foundation
import Yams

/// Reads one YAML document (Yams, i.e. libyaml) into a `YAMLNode` tree, refusing what a policy
/// file may not use (docs/policies.md §1): anchors, aliases, tags, merge keys, keys that are not
/// scalars, duplicate keys, and nesting deeper than `nestingMax`. Every error has a place.
enum YAMLReader {
    /// Sequences and mappings inside each other: a test input (at most `CanonicalJSON.depthMax`)
    /// inside a test file's own three levels, with room to spare.
    static let nestingMax = CanonicalJSON.depthMax + 8
    /// Yams builds its tree recursively, as deep as libyaml's own limit of 1,000 levels; a
    /// thread of this size holds that even in a debug build (measured: 512 KiB did not).
    static let parserStackBytes = 16 * 1_024 * 1_024

    static func read(_ source: SourceText) throws(PolicyFileError) -> YAMLNode {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result { () throws(PolicyFileError) in try readHere(source) }
            done.signal()
        }
        thread.stackSize = parserStackBytes
        thread.start()
        done.wait()
        guard let result = box.result else { preconditionFailure("the parser thread always leaves a result") }
        return try result.get()
    }

    /// Written by the parser thread before it signals, read after the wait.
    private final class ResultBox: @unchecked Sendable {
        var result: Result<YAMLNode, PolicyFileError>?
    }

    private static func readHere(_ source: SourceText) throws(PolicyFileError) -> YAMLNode {
        try refuseOtherLineBreaks(source)
        let parser: Parser
        let root: Node?
        do {
            // Options explicit: the basic resolver tags every plain scalar as a string (the core
            // schema is applied by `CoreScalar`), and UTF-8 whatever YAMS_DEFAULT_ENCODING says.
            parser = try Parser(yaml: source.text, resolver: .basic, constructor: .default, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            throw YAMLErrors.map(error, source: source)
        } catch {
            throw source.error("YAML: \(error)", line: 1, column: 1)
        }
        guard let root else { throw source.error("the file holds no YAML document", line: 1, column: 1) }
        // Anchors are weak references kept alive by the parser: it must outlive the walk.
        return try withExtendedLifetime(parser) { () throws(PolicyFileError) in
            var converter = Converter(source: source)
            return try converter.convert(root, depth: 1)
        }
    }

    /// libyaml also ends lines at a lone CR, NEL, LS and PS; lines here end at LF (with an
    /// optional CR before it), so those are refused to keep every line number right.
    private static func refuseOtherLineBreaks(_ source: SourceText) throws(PolicyFileError) {
        let bytes = source.bytes
        for offset in bytes.indices {
            let byte = bytes[offset]
            let loneCR = byte == UInt8(ascii: "\r") && (offset + 1 == bytes.count || bytes[offset + 1] != UInt8(ascii: "\n"))
            let nel = byte == 0xC2 && offset + 1 < bytes.count && bytes[offset + 1] == 0x85
            let lsOrPS = byte == 0xE2 && offset + 2 < bytes.count && bytes[offset + 1] == 0x80 && (bytes[offset + 2] == 0xA8 || bytes[offset + 2] == 0xA9)
            if loneCR || nel || lsOrPS {
                throw source.error("a line break other than LF or CR LF (U+000D, U+0085, U+2028 or U+2029 alone)", at: source.position(ofByte: offset))
            }
        }
    }

    private struct Converter {
        let source: SourceText

        mutating func convert(_ node: Node, depth: Int) throws(PolicyFileError) -> YAMLNode {
            let position = node.mark.map { TextPosition(line: $0.line, column: $0.column) } ?? TextPosition(line: 1, column: 1)
            try refuseProperties(node, at: position)
            guard depth <= nestingMax else {
                throw source.error("sequences and mappings nest deeper than \(nestingMax) levels", at: position)
            }
            switch node {
            case .scalar(let scalar):
                return .scalar(YAMLScalar(text: scalar.string, style: Self.style(scalar.style), position: position))
            case .sequence(let sequence):
                var elements: [YAMLNode] = []
                for element in sequence { elements.append(try convert(element, depth: depth + 1)) }
                return .sequence(elements, position)
            case .mapping(let mapping):
                var pairs: [YAMLPair] = []
                for (key, value) in mapping {
                    pairs.append(YAMLPair(key: try self.key(key), value: try convert(value, depth: depth + 1)))
                }
                return .mapping(pairs, position)
            case .alias:
                throw source.error("aliases (*name) are refused: a policy reads the same to everyone", at: position)
            }
        }

        private func key(_ node: Node) throws(PolicyFileError) -> YAMLScalar {
            let position = node.mark.map { TextPosition(line: $0.line, column: $0.column) } ?? TextPosition(line: 1, column: 1)
            try refuseProperties(node, at: position)
            guard case .scalar(let scalar) = node else {
                throw source.error("a key must be a plain or quoted scalar, not a sequence or mapping", at: position)
            }
            let style = Self.style(scalar.style)
            if style.isPlain && scalar.string == "<<" {
                throw source.error("merge keys (<<) are refused: a policy reads the same to everyone", at: position)
            }
            return YAMLScalar(text: scalar.string, style: style, position: position)
        }

        /// A node with an anchor or a tag starts at its `&` or `!` (libyaml's start mark is that
        /// of the node's properties), and an alias is the anchored node again (anchor kept).
        private func refuseProperties(_ node: Node, at position: TextPosition) throws(PolicyFileError) {
            let first = source.scalar(at: position)
            if node.anchor != nil || first == "&" {
                throw source.error("anchors (&name) and aliases (*name) are refused: a policy reads the same to everyone", at: position)
            }
            if first == "!" {
                throw source.error("tags (!name) are refused: a value's type is read from the value itself", at: position)
            }
            if first == "*" {
                throw source.error("aliases (*name) are refused: a policy reads the same to everyone", at: position)
            }
        }

        private static func style(_ style: Node.Scalar.Style) -> YAMLScalarStyle {
            switch style {
            case .singleQuoted: .singleQuoted
            case .doubleQuoted: .doubleQuoted
            case .literal: .literal
            case .folded: .folded
            case .plain, .any: .plain
            }
        }
    }
}
