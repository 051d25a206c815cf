/// Bounds on what a CEL expression may cost. Every expression is refused at compile time
/// or stopped during evaluation when it would exceed one of these.
public enum CELLimits {
    /// Source text size, in UTF-8 bytes.
    public static let expressionBytesMax = 16_384
    /// Nodes in the parsed syntax tree.
    public static let astNodesMax = 4_096
    /// Height of the parsed tree: parentheses, calls, lists, maps, member access and chains of
    /// binary operators each add a level.
    public static let nestingDepthMax = 64
    /// Elements of any list or entries of any map built during evaluation.
    public static let listElementsMax = 10_000
    /// Size of any string or bytes value built during evaluation, in UTF-8 bytes.
    public static let stringBytesMax = 65_536
    /// Bytes of strings, bytes, lists and maps built during one evaluation (a list element counts 16).
    public static let evaluationBytesMax = 16 * 1_024 * 1_024
    /// Evaluation steps (node visits, macro iterations) for one evaluation.
    public static let evaluationStepsMax = 1_000_000
    /// Instructions in a compiled `matches()` pattern (counted repetitions are expanded).
    public static let regexInstructionsMax = 2_000
    /// Instruction visits one `matches()` call may need: (characters + 1) × instructions.
    public static let regexWorkMax = 4_000_000
}
