/// A fuzzer's input read as a byte stream and the places to cut it into reads.
///
/// The cuts come from the input's end, so any byte sequence is an input (a captured stream too):
/// its last byte's low 3 bits say how many explicit cuts follow (each two bytes before it, an
/// offset modulo the stream's length), its high 5 bits a stride (0 for none) at which the stream is
/// also cut. What remains in front is the stream.
public struct FuzzInput {
    /// The bytes the parser under test reads.
    public var stream: [UInt8]
    /// Sorted, distinct offsets strictly inside `stream`.
    public var cuts: [Int]

    public init(_ data: UnsafeRawBufferPointer) {
        var bytes = Array(data)
        var cuts: Set<Int> = []
        var offsets: [Int] = []
        var stride = 0
        if let trailer = bytes.popLast() {
            stride = Int(trailer >> 3)
            for _ in 0..<Int(trailer & 7) where bytes.count >= 2 {
                let low = bytes.removeLast(), high = bytes.removeLast()
                offsets.append(Int(high) << 8 | Int(low))
            }
        }
        for offset in offsets where !bytes.isEmpty { cuts.insert(offset % bytes.count) }
        if stride > 0 { cuts.formUnion(Swift.stride(from: stride, to: bytes.count, by: stride)) }
        self.stream = bytes
        self.cuts = cuts.filter { $0 > 0 && $0 < bytes.count }.sorted()
    }

    /// The stream as the reads the cuts make: every byte in one of them, in order, none empty.
    public var reads: [ArraySlice<UInt8>] {
        var reads: [ArraySlice<UInt8>] = []
        var start = 0
        for cut in cuts + [stream.count] where cut > start {
            reads.append(stream[start..<cut])
            start = cut
        }
        return reads
    }
}
