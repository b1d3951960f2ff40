extension ReportOptions {
    /// The console reporter, always first, then one reporter per report option given.
    ///
    /// `ReportOptions` itself is generated from the files under `Formats/` (the Catalogue build plugin): a new
    /// file format is a `FileReporter` in a file of its own there, and nothing else.
    ///
    /// - Parameter quiet: the console prints only failed runs and the summary.
    public func reporters(console: Console, quiet: Bool = false) -> [any Reporter] {
        [ConsoleReporter(console: console, quiet: quiet)] + fileReporters
    }
}
