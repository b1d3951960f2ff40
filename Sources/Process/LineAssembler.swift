/// Collects a process's output as it is read, chunk by chunk, and hands over the complete lines.
public struct LineAssembler: Sendable {
    private var partial: [UInt8] = []

    public init() {}

    /// Adds a chunk; returns the bytes of the lines it completed (newlines included), if any.
    public mutating func add(_ chunk: UnsafeRawBufferPointer) -> ArraySlice<UInt8>? {
        partial.append(contentsOf: chunk)
        guard let end = partial.lastIndex(of: UInt8(ascii: "\n")) else { return nil }
        let complete = partial[...end]
        partial = Array(partial[(end + 1)...])
        return complete
    }

    /// What is left after the output ended: a last line without its newline, if any.
    public mutating func finish() -> ArraySlice<UInt8>? {
        defer { partial = [] }
        return partial.isEmpty ? nil : partial[...]
    }
}
