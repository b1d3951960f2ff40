import FuzzSupport
import Foundation
import NATSFaultScenario

/// The fuzz target: libFuzzer runs `fuzzScenario` on each input.
@main enum FuzzScenario {
    static func main() { runFuzzer(fuzzScenario) }
}

/// One input: any bytes as a scenario file.
///
/// Properties: parsing never crashes (libFuzzer's -timeout and -rss_limit_mb bound its time and
/// memory); a rejected file names a place in it; an accepted scenario survives the JSON round
/// trip that hands it to the sandboxed runner unchanged.
func fuzzScenario(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let scenario: Scenario
    do {
        scenario = try ScenarioParser.parse(text, file: "fuzz.yaml", shippedDrivers: ["c", "go", "python"])
    } catch {
        let lines = yamlLineCount(text)
        require(error.location.line >= 1 && error.location.line <= lines && error.location.column >= 1,
                "error outside the file (\(lines) lines): \(error)")
        return 0
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    do {
        let document = try encoder.encode(scenario)
        let again = try encoder.encode(try JSONDecoder().decode(Scenario.self, from: document))
        require(document == again, "the scenario changes in its JSON round trip:\n\(String(decoding: document, as: UTF8.self))\n\(String(decoding: again, as: UTF8.self))")
    } catch {
        fatalError("an accepted scenario cannot be handed over as JSON: \(error)")
    }
    return 0
}

/// The lines of `text` as YAML counts them: a line break is CR LF, CR, LF, NEL, LS or PS.
private func yamlLineCount(_ text: String) -> Int {
    var lines = 1
    var afterCR = false
    for scalar in text.unicodeScalars {
        if !(afterCR && scalar == "\n") && ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) { lines += 1 }
        afterCR = scalar == "\r"
    }
    return lines
}
