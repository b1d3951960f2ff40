/// Collects a process's output as it is read, chunk by chunk, and hands over the complete lines.
///
/// A line may be at most `limit` bytes: a longer one (or output that never ends a line) makes the assembler
/// `overlong`, and from then on it takes nothing more, so that a broken writer cannot fill memory.
public struct LineAssembler: Sendable {
    /// The longest line a driver or an application may write: 1 MiB.
    public static let defaultLimit = 1 << 20

    private var partial: [UInt8] = []
    public let limit: Int
    /// Whether a line longer than `limit` came; nothing is taken after it.
    public private(set) var overlong = false

    public init(limit: Int = LineAssembler.defaultLimit) {
        self.limit = limit
    }

    /// Adds a chunk; returns the bytes of the lines it completed (newlines included), if any.
    public mutating func add(_ chunk: UnsafeRawBufferPointer) -> ArraySlice<UInt8>? {
        guard !overlong else { return nil }
        partial.append(contentsOf: chunk)
        guard let end = partial.lastIndex(of: UInt8(ascii: "\n")) else {
            if partial.count > limit { giveUp() }
            return nil
        }
        // Every line in the chunk, and what follows the last newline, within the limit.
        var start = partial.startIndex
        var index = partial.startIndex
        while index <= end {
            if partial[index] == UInt8(ascii: "\n") {
                if index - start > limit { giveUp(); return nil }
                start = index + 1
            }
            index += 1
        }
        if partial.count - (end + 1) > limit { giveUp(); return nil }
        let complete = partial[...end]
        partial = Array(partial[(end + 1)...])
        return complete
    }

    /// What is left after the output ended: a last line without its newline, if any.
    public mutating func finish() -> ArraySlice<UInt8>? {
        defer { partial = [] }
        return partial.isEmpty || overlong ? nil : partial[...]
    }

    private mutating func giveUp() {
        overlong = true
        partial = []
    }
}
