import Foundation
import NATSFaultDrivers
import NATSFaultScenario
import Testing

/// Every file in Malformed/ states, on its first line, the error it must produce:
/// `# expect: LINE:COLUMN: text the message starts with`.
struct MalformedScenarioTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Malformed")
    static let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0.hasSuffix(".yaml") }.sorted() ?? []

    @Test func thereAreAtLeastTwentyMalformedFiles() {
        #expect(Self.files.count >= 20)
    }

    @Test(arguments: files)
    func reportsPlaceAndReason(_ name: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        let firstLine = String(text.prefix { $0 != "\n" })
        let spec = try #require(firstLine.split(separator: "# expect: ", maxSplits: 1).last.map(String.init))
        let parts = spec.split(separator: ":", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
        let (line, column, message) = (Int(parts[0]), Int(parts[1]), parts[2])

        let error = #expect(throws: ScenarioError.self) { try ScenarioParser.parse(text, file: name, shippedDrivers: shipped) }
        #expect(error?.location.file == name)
        #expect(error?.location.line == line, "\(error?.description ?? "")")
        #expect(error?.location.column == column, "\(error?.description ?? "")")
        #expect(error?.message.hasPrefix(message) == true, "got: \(error?.message ?? "no error")")
    }
}

/// The drivers natsfault ships, as the runner hands them to the parser.
let shipped = DriverCatalog.shipped.map(\.name)
