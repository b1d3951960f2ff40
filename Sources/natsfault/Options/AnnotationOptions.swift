import ArgumentParser
import NATSFaultReporting

/// `--annotations github`: CI annotations on the scenario files' failing lines, shared by `run` and `merge`.
struct AnnotationOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case github
    }

    @Option(help: "Print an annotation for each failed check, in this CI's format, on the scenario file's line that failed: github (::error file=…,line=…,col=…::…).")
    var annotations: Format?

    /// The annotation reporter asked for, if any.
    func reporters(console: Console) -> [any Reporter] {
        switch annotations {
        case .github: [GitHubAnnotations(print: { console.line($0) })]
        case nil: []
        }
    }
}
