@testable import NATSFaultDrivers
import FuzzSupport
import NATSFaultProcess

/// The fuzz target: libFuzzer runs `fuzzDriverLines` on each input.
@main enum FuzzDriverLines {
    static func main() { runFuzzer(fuzzDriverLines) }
}

/// One input: any bytes as a driver's stdout, read in the reads the input's trailer makes.
///
/// Properties: nothing crashes; the assembled lines are the output's bytes, each once, in order,
/// however the reads cut them; the driver lines read from them are those of the whole output read
/// at once; decoding each line as a driver event never crashes.
func fuzzDriverLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let whole = assemble([input.stream[...]])
    let split = assemble(input.reads)
    require(whole.bytes == input.stream && split.bytes == input.stream, "assembled bytes differ from the output")
    require(whole.lines == split.lines, "lines differ: whole \(whole.lines), split \(split.lines)")
    for line in split.lines {
        _ = DriverLine.decode(line)?.recorded(client: "fuzz")
    }
    return 0
}

/// What a driver's output read in `reads` delivers, as ChildProcess hands it over: the bytes and the driver lines.
private func assemble(_ reads: [ArraySlice<UInt8>]) -> (bytes: [UInt8], lines: [String]) {
    var assembler = LineAssembler()
    var bytes: [UInt8] = []
    var lines: [String] = []
    for read in reads {
        guard let complete = read.withUnsafeBytes({ assembler.add($0) }) else { continue }
        require(complete.last == UInt8(ascii: "\n"), "a delivered piece does not end a line")
        bytes += complete
        lines += DriverLine.split(complete)
    }
    if let last = assembler.finish() {
        require(!last.contains(UInt8(ascii: "\n")), "the unfinished rest holds a line end")
        bytes += last
        lines += DriverLine.split(last + [UInt8(ascii: "\n")])
    }
    return (bytes, lines)
}
