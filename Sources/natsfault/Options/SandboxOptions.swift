import ArgumentParser

/// `--no-sandbox`: whether to give up the user, network and PID namespaces.
struct SandboxOptions: ParsableArguments {
    @Flag(help: "Run on the host's loopback without namespaces.")
    var noSandbox = false

    var sandbox: Bool { !noSandbox }
}
