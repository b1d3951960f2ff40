import ArgumentParser

/// The scenario files, or folders of them, that `run`, `validate` and `list` read.
struct ScenarioPaths: ParsableArguments {
    @Argument(help: "Scenario files or folders of them.")
    var paths: [String]
}
