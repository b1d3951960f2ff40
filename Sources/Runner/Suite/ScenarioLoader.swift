import Foundation
import NATSFaultDrivers
import NATSFaultScenario

/// Finds scenario files and parses them.
public enum ScenarioLoader {
    /// The `.yaml`/`.yml` files named or contained (recursively) in `paths`, sorted within each folder.
    public static func files(_ paths: [String]) throws(RunError) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .invalidPath(path) }
            if !isDirectory.boolValue { files.append(path); continue }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            let found = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            files.append(contentsOf: found.map { "\(base)/\($0)" })
        }
        return files
    }

    /// Parses every file; throws every problem found, one per file, when any file is invalid.
    public static func load(_ paths: [String]) throws(RunError) -> [Scenario] {
        var scenarios: [Scenario] = []
        var errors: [ScenarioError] = []
        for file in try files(paths) {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                let scenario = try parse(text, file: file)
                if let other = scenarios.first(where: { $0.name == scenario.name }) {
                    errors.append(ScenarioError(SourceLocation(file: file, line: 1, column: 1), "scenario name \"\(scenario.name)\" is also used by \(other.file); names must be unique in a run"))
                }
                scenarios.append(scenario)
            } catch let error as ScenarioError {
                errors.append(error)
            } catch {
                errors.append(ScenarioError(SourceLocation(file: file, line: 1, column: 1), "cannot read the file: \(error)"))
            }
        }
        if !errors.isEmpty { throw .invalidScenarios(errors) }
        return scenarios
    }

    /// Parses one scenario file's text, knowing the drivers natsfault ships.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> Scenario {
        try ScenarioParser.parse(text, file: file, shippedDrivers: DriverCatalog.shipped.map(\.name))
    }

    /// Whether a scenario name matches `--filter`: a glob with `*`/`?`, else a substring.
    public static func matches(_ name: String, filter: String?) -> Bool {
        guard let filter, !filter.isEmpty else { return true }
        if filter.contains("*") || filter.contains("?") { return fnmatch(filter, name, 0) == 0 }
        return name.contains(filter)
    }
}
