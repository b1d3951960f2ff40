import Foundation
public import Logging
import NATSFaultDrivers
import NATSFaultProcess
public import NATSFaultReporting
import NATSFaultSandbox
import NATSFaultScenario
import NATSFaultSupervisor
import NATSFaultTimeline
import SystemPackage

/// What `natsfault run` was asked to do.
public struct RunOptions: Sendable {
    public var paths: [String]
    /// The drivers for clients that do not name one: every scenario runs once with each.
    public var clients: [String] = [DriverCatalog.defaultDriver]
    /// Explicit server binaries; each scenario runs against each of them.
    public var serverBinaries: [String] = []
    /// Servers by version prefix (`2.9`, `2.15.1`) among the installed ones, or by binary path.
    public var servers: [String] = []
    /// Run against every installed nats-server version.
    public var allServers = false
    public var jobs = 1
    public var filter: String?
    /// false: run on the host's loopback without namespaces (one scenario at a time).
    public var sandbox = true
    /// The scenario runners' log level; below `warning`, their logs stream to stderr as they run.
    public var logLevel: Logger.Level = .warning
    /// Which runs leave their folder (logs, transcripts, configs, result) under `results/runs/`.
    public var keep: KeepPolicy = .failed
    /// The folder kept runs go under (`<results>/runs/…`).
    public var results = "results"
    /// The seed every run's seed is derived from (with its scenario, client, server and attempt); nil: a random one.
    public var seed: UInt64?
    /// One seed for every run instead of derived ones: what a replay command passes.
    public var runSeed: UInt64?
    /// How many times each scenario × client × server cell runs (`--repeat`).
    public var repeats = 1
    /// Run each cell up to this many times, stopping at its first failure (`--until-fail`).
    public var untilFail: Int?
    /// The driver definitions given on the command line (`NAME=COMMAND`), for replay commands.
    public var driverDefinitions: [String] = []
    /// A declared known difference that did not happen fails its run (`--strict`).
    public var strict = false
    /// Run only this part of the plan (`--shard K/N`).
    public var shard: Shard?
    /// A results file whose measured wall times balance the shards (`--durations`); without it, the scenarios'
    /// declared timelines do.
    public var durations: String?

    public init(paths: [String]) { self.paths = paths }
}

/// Runs a set of scenarios across server versions, each in its own sandbox, and reports.
public enum Suite {
    /// Runs everything `options` asks for, printing progress and problems on `console` and handing every result to `reporters`.
    ///
    /// - Parameter reporters: called in this order, as runs start and end and once after the last (see `Reporter`).
    /// - Returns: the exit status: 0 all passed, 1 a run failed, 2 invalid input, 3 environment, 130 or 143 interrupted by
    ///   SIGINT or SIGTERM (the runs not finished are reported as not run).
    public static func run(_ options: RunOptions, reporters: [any Reporter], console: Console) async -> ExitStatus {
        do {
            for reporter in reporters {
                do { try reporter.checkBeforeRun() } catch { throw RunError.invalidOption("\(error)") }
            }
            let plan = try await Plan.make(options, warn: { console.problem("warning: \($0)") }, inform: { console.line($0) })
            defer { try? FileManager.default.removeItem(atPath: plan.root) }
            let interruption = Interruption { signal in
                // Asked twice: no reports. The runs' processes go with this one (a sandbox's runner ends when its
                // standard input closes, taking its PID namespace along; an unsandboxed runner takes its process group).
                // Past the console's lock: what the first signal set going may be stuck writing to a full pipe.
                Console.writeToProcess(.error, "\(signal.name) again: stopping at once, without reports\n")
                try? FileManager.default.removeItem(atPath: plan.root)
                _exit(signal.exitStatus)
            }
            defer { interruption.stop() }
            for reporter in reporters { reporter.suiteStarted(runs: plan.runs.count * (options.untilFail ?? 1)) }
            let wallStart = MonotonicClock.nowNs()
            let finished = await interruption.run { await execute(plan, options: options, reporters: reporters) }
            // The runs that never started are reported too, as not run.
            let results = zip(plan.runs, finished).flatMap { run, results in results.isEmpty ? [notRun(run)] : results }
            let history = SuiteHistory(results: results, wallSeconds: Double(MonotonicClock.nowNs() - wallStart) / 1e9, shard: plan.shard)
            for reporter in reporters { try reporter.suiteFinished(history) }
            console.line(plan.runSeed.map { "every run's seed: \($0)" } ?? "seed \(plan.seed) (the same seeds again: --seed \(plan.seed))")
            if let signal = interruption.signal {
                console.line("interrupted by \(signal.name): \(results.filter { !$0.interrupted }.count) of \(plan.runs.count) runs finished;"
                             + " the others are reported as \(ScenarioResult.interruptedReason)")
                return signal.number == SIGTERM ? .terminated : .interrupted
            }
            let flaky = Matrix(results).rates.filter(\.rate.flaky)
            if !flaky.isEmpty {
                console.line("flaky: " + flaky.map { "\($0.scenario) [\($0.client) × \($0.server)] \($0.rate)" }.joined(separator: ", "))
            }
            return ExitStatus(results)
        } catch let error as RunError {
            console.problem("error: \(error)")
            return error.exitStatus
        } catch {
            console.problem("error: \(FileProblem.describe(error))")
            return .failed
        }
    }

    /// Runs the plan's runs, `jobs` at a time, handing each result to the reporters as it comes; by planned run, the
    /// results of each (none for a run that never started).
    private static func execute(_ plan: Plan, options: RunOptions, reporters: [any Reporter]) async -> [[ScenarioResult]] {
        let jobs = plan.sandboxed ? max(1, options.jobs) : 1
        var results = Array<[ScenarioResult]>(repeating: [], count: plan.runs.count)
        await withTaskGroup(of: (Int, [ScenarioResult]).self) { group in
            var next = 0
            func launch() {
                // Interrupted: the runs going on are stopping; none starts.
                guard next < plan.runs.count, !Task.isCancelled else { return }
                let index = next
                next += 1
                group.addTask { (index, await attempts(plan.runs[index], plan: plan, reporters: reporters)) }
            }
            for _ in 0..<jobs { launch() }
            while let (index, finished) = await group.next() {
                results[index] = finished
                launch()
            }
        }
        return results
    }

    /// A planned run that an interruption kept from starting.
    private static func notRun(_ run: Plan.Run) -> ScenarioResult {
        var result = ScenarioResult(scenario: run.scenario.name, file: run.scenario.file, description: run.scenario.description,
                                    client: run.target.label, serverVersion: run.target.server.version, outcome: .skipped,
                                    reason: ScenarioResult.interruptedReason)
        result.attempt = run.attempt
        result.position = run.position
        return result
    }

    /// A planned run; with `--until-fail`, attempt after attempt until one does not pass. Each result goes to the
    /// reporters as it comes.
    private static func attempts(_ run: Plan.Run, plan: Plan, reporters: [any Reporter]) async -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        for attempt in 1...(run.untilFail ?? 1) {
            var this = run
            if run.untilFail != nil { this = run.attempt(attempt, seed: plan.seed) }
            if this.skipReason == nil {
                for reporter in reporters { reporter.runStarted(this.title) }
            }
            let result = await runInChild(this, plan: plan)
            for reporter in reporters { reporter.runFinished(result) }
            results.append(result)
            guard !result.isFailure, !Task.isCancelled else { break }
        }
        return results
    }

    /// Runs one scenario in a child natsfault process, sandboxed when namespaces work; a skipped run says why.
    private static func runInChild(_ run: Plan.Run, plan: Plan) async -> ScenarioResult {
        let folder = run.target.workDirectory
        var result: ScenarioResult
        if let skip = run.skipReason {
            result = ScenarioResult(scenario: run.scenario.name, file: run.scenario.file, description: run.scenario.description,
                                    client: run.target.label, serverVersion: run.target.server.version, outcome: .skipped, reason: skip)
        } else {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let started = MonotonicClock.nowNs()
            let work = ScenarioWork(scenario: run.scenario, target: run.target)
            switch await SandboxedRun.run(work, sandboxed: plan.sandboxed, logLevel: plan.logLevel, stderrPath: plan.logLevel < .warning ? nil : "\(folder)/runner.log") {
            case .success(let finished):
                result = finished
            case .failure(let failure):
                let log = (try? String(contentsOfFile: "\(folder)/runner.log", encoding: .utf8)) ?? ""
                let interrupted = Task.isCancelled
                let reason = interrupted ? ScenarioResult.interruptedReason : "\(failure)" + (log.isEmpty ? "" : "; its output ends:\n" + log.suffix(2000))
                result = ScenarioResult(scenario: run.scenario.name, file: run.scenario.file, description: run.scenario.description,
                                        client: run.target.label, serverVersion: run.target.server.version, outcome: interrupted ? .skipped : .error,
                                        reason: reason, wallSeconds: Double(MonotonicClock.nowNs() - started) / 1e9)
            }
        }
        result.attempt = run.attempt
        result.position = run.position
        if plan.strict, result.outcome == .passed, let gone = result.differencesGone.first {
            result.outcome = .failed
            result.reason = "\(gone) (--strict): the scenario declares that \(run.target.label) differs (\(gone.reason)), but the check passed;"
                + " if the library changed, update docs/client-differences.md and the scenario's known_differences"
        }
        // Every run, skipped ones too, records its inputs: a merge compares the scenario checksums of its files.
        result.replay = plan.replay(of: run, library: result.libraries)
        plan.artifacts.settle(&result, work: folder)
        return result
    }
}

/// Where this natsfault executable lives (the nats.c driver is built beside it).
public enum ToolPaths {
    public static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static var directory: String { (executable as NSString).deletingLastPathComponent }
}
