import Foundation
import PackagePlugin

/// Generates `FaultCatalog.all` from the files under `Faults/<Target>/` of the target it is applied to,
/// so that a fault registers itself by existing: `Faults/Proxy/Blackhole.swift` declares `Blackhole`.
@main
struct FaultCatalogPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let faultFiles = target.sourceFiles(withSuffix: "swift").map(\.url).filter { url in
            let parts = url.pathComponents
            // Files directly in Faults/ are the machinery; each file one folder below is a fault.
            return parts.count >= 3 && parts[parts.count - 3] == "Faults"
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "FaultCatalog+Generated.swift")
        return [.buildCommand(
            displayName: "Generating the fault catalogue from \(faultFiles.count) fault files",
            executable: try context.tool(named: "FaultCatalogGenerator").url,
            arguments: [output.path] + faultFiles.map(\.path),
            inputFiles: faultFiles,
            outputFiles: [output])]
    }
}
