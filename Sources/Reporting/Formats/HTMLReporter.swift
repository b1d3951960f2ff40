public import Foundation

/// The `--report FILE` page: one self-contained HTML file with the matrix and, for each run, its timeline (servers,
/// faults, clients, expectation windows), message charts, checks, logs, artifacts and replay command.
///
/// `--report DIR` (an existing folder, or a path ending in `/`) writes `DIR/report.html`.
public struct HTMLReporter: FileReporter {
    public static let option = "report"
    public static let help = "Write an HTML page here (FILE, or DIR/report.html): the matrix, and every run's timeline, messages, checks and logs."
    public let path: String

    public init(path: String) {
        var isFolder: ObjCBool = false
        let folder = path.hasSuffix("/") || (FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
        self.path = folder ? (path as NSString).appendingPathComponent("report.html") : path
    }

    public func render(_ history: SuiteHistory) -> Data {
        Data(ReportPage(history).html().utf8)
    }
}
