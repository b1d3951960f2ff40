public import ArgumentParser

/// The report options of `natsfault run` (`--junit`, `--json`, `--matrix-md`), and the reporters they ask for.
///
/// A new file format is a `FileReporter` in a file of its own, plus its line here and its entry in `reporters`.
/// A class, so that a new format's option leaves the layout of the commands holding it as it was: an incremental
/// build does not recompile them for a change of another module's private storage, and a struct's new field then
/// crashes them at start.
public final class ReportOptions: ParsableArguments {
    @OptionGroup var junit: FileReportOption<JUnitReporter>
    @OptionGroup var json: FileReportOption<JSONReporter>
    @OptionGroup var matrixMarkdown: FileReportOption<MatrixMarkdownReporter>

    public init() {}

    /// The console reporter, always first, then one reporter per report option given.
    public func reporters(print: @escaping @Sendable (String) -> Void) -> [any Reporter] {
        let files: [(any Reporter)?] = [junit.reporter, matrixMarkdown.reporter, json.reporter]
        return [ConsoleReporter(print: print)] + files.compactMap { $0 }
    }
}
