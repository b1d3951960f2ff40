import Foundation
import NATSFaultDrivers
import NATSFaultProcess
import NATSFaultScenario

/// Finds scenario files and parses them.
public enum ScenarioLoader {
    /// The `.yaml`/`.yml` files named or contained (recursively) in `paths`, sorted within each folder.
    ///
    /// - Throws: `RunError.invalidPath` for a path that does not exist; `RunError.unreadable` for a folder or subfolder
    ///   that cannot be read (a scenario in it would silently go missing); `RunError.nothingToRun` when there is no
    ///   scenario file at all.
    public static func files(_ paths: [String]) throws(RunError) -> [String] {
        var files: [String] = []
        for path in paths {
            var status = stat()
            guard stat(path, &status) == 0 else {
                if errno == ENOENT { throw .invalidPath(path) }
                throw .unreadable(FileProblem(errno: errno, path: path))
            }
            guard status.st_mode & S_IFMT == S_IFDIR else { files.append(path); continue }
            let base = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            var visited: Set<[UInt64]> = []
            files += try scenarioFiles(under: base, visited: &visited).sorted().map { "\(base)/\($0)" }
        }
        guard !files.isEmpty else {
            throw .nothingToRun("no scenario files (.yaml or .yml) in \(paths.joined(separator: " ")); give scenario files or folders holding them")
        }
        return files
    }

    /// The scenario files under `folder`, as paths relative to it, following links to folders once.
    private static func scenarioFiles(under folder: String, visited: inout Set<[UInt64]>) throws(RunError) -> [String] {
        var status = stat()
        guard stat(folder, &status) == 0, visited.insert([UInt64(status.st_dev), UInt64(status.st_ino)]).inserted else { return [] }
        guard let directory = opendir(folder) else { throw .unreadable(FileProblem(errno: errno, path: folder, folder: true)) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        var found: [String] = []
        for name in names {
            let path = "\(folder)/\(name)"
            var entry = stat()
            // A dangling link is no scenario.
            guard stat(path, &entry) == 0 else { continue }
            if entry.st_mode & S_IFMT == S_IFDIR {
                found += try scenarioFiles(under: path, visited: &visited).map { "\(name)/\($0)" }
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                found.append(name)
            }
        }
        return found
    }

    /// Parses every file; throws every problem found, one per file, when any file is invalid.
    public static func load(_ paths: [String]) throws(RunError) -> [Scenario] {
        var scenarios: [Scenario] = []
        var errors: [ScenarioError] = []
        for file in try files(paths) {
            do {
                let scenario = try parse(try FileProblem.readText(file), file: file)
                if let other = scenarios.first(where: { $0.name == scenario.name }) {
                    errors.append(ScenarioError(SourceLocation(file: file, line: 1, column: 1), "scenario name \"\(scenario.name)\" is also used by \(other.file); names must be unique in a run"))
                }
                scenarios.append(scenario)
            } catch let error as ScenarioError {
                errors.append(error)
            } catch {
                errors.append(ScenarioError(SourceLocation(file: file, line: 1, column: 1), "cannot read it: \(FileProblem.describe(error))"))
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
