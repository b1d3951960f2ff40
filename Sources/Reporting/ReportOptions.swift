public import ArgumentParser

/// The report options of `natsfault run` (`--junit`, `--json`, `--matrix-md`), and the reporters they ask for.
///
/// A new file format is a `FileReporter` in a file of its own, plus its line here and its entry in `reporters`.
public struct ReportOptions: ParsableArguments {
    @OptionGroup var junit: FileReportOption<JUnitReporter>
    @OptionGroup var json: FileReportOption<JSONReporter>
    @OptionGroup var matrixMarkdown: FileReportOption<MatrixMarkdownReporter>

    public init() {}

    /// The console reporter, always first, then one reporter per report option given.
    public func reporters(print: @escaping @Sendable (String) -> Void) -> [any Reporter] {
        [ConsoleReporter(print: print)] + ([junit.reporter, matrixMarkdown.reporter, json.reporter] as [(any Reporter)?]).compactMap { $0 }
    }
}
