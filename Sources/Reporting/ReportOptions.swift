public import ArgumentParser

/// The report options of `natsfault run`: every format's own option, and the reporters they ask for.
///
/// A new format adds its `ReporterOption` here, once as a group and once in `reporters`.
public struct ReportOptions: ParsableArguments {
    @OptionGroup var junit: JUnitReporter.Options
    @OptionGroup var json: JSONReporter.Options
    @OptionGroup var matrixMarkdown: MatrixMarkdownReporter.Options

    public init() {}

    /// The console reporter, always first, then one reporter per report option given.
    public func reporters(print: @escaping @Sendable (String) -> Void) -> [any Reporter] {
        let options: [any ReporterOption] = [junit, matrixMarkdown, json]
        return [ConsoleReporter(print: print)] + options.compactMap(\.reporter)
    }
}
