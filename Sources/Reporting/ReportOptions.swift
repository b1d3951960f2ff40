extension ReportOptions {
    /// The console reporter, always first, then one reporter per report option given.
    ///
    /// `ReportOptions` itself is generated from the files under `Formats/` (the Catalogue build plugin): a new
    /// file format is a `FileReporter` in a file of its own there, and nothing else.
    public func reporters(print: @escaping @Sendable (String) -> Void) -> [any Reporter] {
        [ConsoleReporter(print: print)] + fileReporters
    }
}
