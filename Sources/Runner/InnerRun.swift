import Foundation
import Logging
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultTimeline

/// The part of a run that happens inside the sandbox: one scenario, one client, one server version.
public enum InnerRun {
    /// Runs the named scenario of `file` and writes its result as JSON to `resultPath`.
    ///
    /// - Parameter sandboxed: whether this process is PID 1 of a fresh sandbox (then it brings up
    ///   loopback and exits as soon as its parent goes away).
    /// - Parameter logLevel: how much the runner says on stderr about what it does.
    public static func run(file: String, scenario name: String, target: RunTarget, resultPath: String, sandboxed: Bool, logLevel: Logger.Level) async -> Int32 {
        RunnerLogging.start(logLevel)
        var result: ScenarioResult
        do {
            if sandboxed { try Sandbox.enter() } else { Sandbox.endWithParent(killingProcessGroup: true) }
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let scenario = try ScenarioLoader.parse(text, file: file)
            guard scenario.name == name else { throw RunError.nothingToRun("\(file) no longer holds scenario \(name)") }
            var target = target
            target.sandboxed = sandboxed
            result = await ScenarioRun(scenario: scenario, target: target).run()
        } catch {
            result = ScenarioResult(scenario: name, file: file, description: "", client: target.client,
                                    serverVersion: target.server.version, outcome: .error, reason: "\(error)")
        }
        let encoder = JSONEncoder()
        do {
            try encoder.encode(result).write(to: URL(fileURLWithPath: resultPath))
            return 0
        } catch {
            FileHandle.standardError.write(Data("cannot write \(resultPath): \(error)\n".utf8))
            return 1
        }
    }
}

/// What a runner process says about itself goes to stderr, from `level` up.
enum RunnerLogging {
    static func start(_ level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
