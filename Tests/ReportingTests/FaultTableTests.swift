import Foundation
import NATSFaultReporting
import NATSFaultScenario
import Testing

/// The fault tables people read come from the catalogue, so they cannot drift from it.
struct FaultTableTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs")

    @Test func docsFaultsIsTheCataloguesTable() throws {
        let text = try String(contentsOf: Self.docs.appendingPathComponent("faults.md"), encoding: .utf8)
        #expect(text == FaultTable.markdown() + "\n", "regenerate it: natsfault list --faults --markdown > docs/faults.md")
    }

    @Test func theScenarioFormatDescribesEveryFault() throws {
        let text = try String(contentsOf: Self.docs.appendingPathComponent("scenario-format.md"), encoding: .utf8)
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("### ") }
        for fault in FaultCatalog.all {
            // A fault has its row in a table of faults, or a section of its own.
            let described = text.contains("| `\(fault.name)` |") || headings.contains { $0.split(whereSeparator: { !$0.isLetter && $0 != "_" }).contains(Substring(fault.name)) }
            #expect(described, "docs/scenario-format.md neither has a table row nor a section for \(fault.name)")
        }
    }

    @Test func theConsoleListNamesEveryFaultWithItsKeys() {
        let text = FaultTable.console()
        for fault in FaultCatalog.all {
            #expect(text.contains(fault.summary))
            for key in fault.parameters { #expect(text.contains(key.name)) }
        }
    }
}
