import ArgumentParser
import NATSFaultReporting
import NATSFaultRunner

struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the JSON results of several runs (the shards of one: run --shard K/N) into one set of reports.",
        discussion: "Prints the summary one run of them all would have printed. Exit codes: 0 every run passed, 1 one failed or errored, 2 the files cannot be merged (not natsfault results, a run in two files, different natsfault versions or scenario files, a shard missing).")

    @Argument(help: ArgumentHelp("The results: files of run --json, or folders searched for them (a kept run's result.json is left out).", valueName: "results"))
    var results: [String] = []

    @OptionGroup var reports: ReportOptions

    @OptionGroup var annotations: AnnotationOptions

    func run() async throws {
        try finish(await Merger.run(results, reporters: reports.reporters(console: console) + annotations.reporters(console: console), console: console))
    }
}
