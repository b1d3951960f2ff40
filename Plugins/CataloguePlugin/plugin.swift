import Foundation
import PackagePlugin

/// Generates the catalogues that let a fault or a report format register itself by existing:
/// - from the files under `Faults/<Target>/` of a target, `FaultCatalog.all` (`Faults/Proxy/Blackhole.swift` declares `Blackhole`);
/// - from the files under `Formats/` of a target, `ReportOptions`, one command-line option per file report
///   (`Formats/JUnitReporter.swift` declares `JUnitReporter`).
@main
struct CataloguePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let files = target.sourceFiles(withSuffix: "swift").map(\.url)
        // Files directly in Faults/ are the machinery; each file one folder below is a fault.
        let faults = files.filter { $0.pathComponents.count >= 3 && $0.pathComponents[$0.pathComponents.count - 3] == "Faults" }
        let formats = files.filter { $0.pathComponents.count >= 2 && $0.pathComponents[$0.pathComponents.count - 2] == "Formats" }
        let tool = try context.tool(named: "CatalogueGenerator").url
        var commands: [Command] = []
        for (kind, inputs, name) in [("faults", faults, "FaultCatalog+Generated.swift"), ("formats", formats, "ReportOptions+Generated.swift")] where !inputs.isEmpty {
            let output = context.pluginWorkDirectoryURL.appending(path: name)
            commands.append(.buildCommand(
                displayName: "Generating the catalogue of \(kind) from \(inputs.count) files",
                executable: tool, arguments: [kind, output.path] + inputs.map(\.path), inputFiles: inputs, outputFiles: [output]))
        }
        return commands
    }
}
