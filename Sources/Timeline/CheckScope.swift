public import NATSFaultScenario

/// Which of a scenario's checks one run judges (`drivers:` on a check), and how its declared known differences
/// read the checks it judged.
///
/// A check concerns the clients it names: a timeline expectation its client (an `any_of` every alternative's),
/// an assertion its client or the client publishing or requesting its stream. Each such client runs the driver
/// it pins (`driver:`), else the run's. A server or service check names no client: it concerns the run's driver.
public struct CheckScope: Sendable {
    public let scenario: Scenario
    /// The run's library (`--client`).
    public let runDriver: String
    /// Each client's library version, from its driver's hello, by client name.
    public let libraryVersions: [String: String]

    public init(scenario: Scenario, runDriver: String, libraryVersions: [String: String] = [:]) {
        self.scenario = scenario
        self.runDriver = runDriver
        self.libraryVersions = libraryVersions
    }

    /// Why a timeline step's check is not judged in this run (nil: it is).
    public func setAside(step: Step) -> String? {
        guard let limit = step.drivers else { return nil }
        return setAside(limit, concerning: clients(of: step.action))
    }

    /// Why the assertion at `index` is not judged in this run (nil: it is).
    public func setAside(assertion index: Int) -> String? {
        guard let limit = scenario.assertionDrivers[index] else { return nil }
        return setAside(limit, concerning: scenario.subjectClient(of: scenario.assertions[index]).map { [$0] } ?? [])
    }

    private func setAside(_ limit: [String], concerning clients: [String]) -> String? {
        let used = drivers(of: clients)
        guard used.allSatisfy({ !limit.contains($0) }) else { return nil }
        return "checked only for \(limit.joined(separator: ", ")); this run's \(used.count == 1 ? "driver is" : "drivers are") \(used.joined(separator: ", "))"
    }

    /// The drivers the named clients run (the run's driver when they name none).
    func drivers(of clients: [String]) -> [String] {
        let found = clients.compactMap { scenario.driver(of: $0, run: runDriver) }
        var unique: [String] = []
        for d in found.isEmpty ? [runDriver] : found where !unique.contains(d) { unique.append(d) }
        return unique
    }

    /// The clients a step's check is about.
    func clients(of action: Action) -> [String] {
        switch action {
        case .expect(let e): [e.match.client]
        case .expectAbsent(let e): [e.match.client]
        case .anyOf(let alternatives): alternatives.flatMap(clients(of:))
        default: []
        }
    }

    /// Marks each check a declared known difference covers: `differs` when it failed as declared, `gone` when it
    /// passed. Checks are found by their location (a step's place in the file, `assert[N]`).
    public func markDifferences(_ checks: inout [Check]) {
        for difference in scenario.knownDifferences {
            let location: String
            let concerned: [String]
            switch difference.check {
            case .step(let id):
                guard let step = scenario.steps.first(where: { $0.id == id }) else { continue }
                (location, concerned) = (step.location.description, clients(of: step.action))
            case .assertion(let index):
                (location, concerned) = ("assert[\(index)]", scenario.subjectClient(of: scenario.assertions[index]).map { [$0] } ?? [])
            }
            // The difference applies when a client the check concerns runs a library (and version) it names; a check
            // that names no client concerns the clients that follow the run's driver.
            let clients = concerned.isEmpty ? scenario.clients.filter { !$0.isApplication && $0.driver == nil }.map(\.name) : concerned
            let applies = clients.contains { client in
                guard let driver = scenario.driver(of: client, run: runDriver) else { return false }
                return difference.applies(to: driver, version: libraryVersions[client].flatMap(Self.version(in:)))
            }
            guard applies else { continue }
            for index in checks.indices where checks[index].location == location {
                if checks[index].passed {
                    checks[index].difference = DifferenceMark(finding: difference.finding, reason: difference.reason, gone: true)
                } else if difference.observed.map({ pattern in (try? Regex(pattern)).map { checks[index].observed.contains($0) } ?? false }) ?? true {
                    checks[index].difference = DifferenceMark(finding: difference.finding, reason: difference.reason, gone: false)
                }
            }
        }
    }

    /// `nats.py 2.16.0` → `2.16.0`: the last word of a hello's library and version.
    static func version(in library: String) -> String? {
        library.split(separator: " ").last.map(String.init)
    }
}

/// A check a declared known difference covers.
public struct DifferenceMark: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The finding's id (`F1`).
    public var finding: String
    public var reason: String
    /// The check passed: the library no longer differs as declared.
    public var gone: Bool

    public init(finding: String, reason: String, gone: Bool) {
        (self.finding, self.reason, self.gone) = (finding, reason, gone)
    }

    /// `differs (F1)` or `difference gone (F1)`.
    public var description: String { gone ? "difference gone (\(finding))" : "differs (\(finding))" }
}

/// Either-or: how the alternatives of an `any_of` step decide it.
public enum AnyOfDecision {
    /// Met as soon as one alternative is met; not met once every one is decided and none was; pending otherwise.
    ///
    /// - Parameter labels: each alternative in words, in order.
    public static func decide(_ decisions: [StepDecision], labels: [String], nowNs: Int64) -> StepDecision {
        let expected = "one of: " + labels.enumerated().map { "(\($0.offset + 1)) \($0.element)" }.joined(separator: " or ")
        if let (index, met) = decisions.enumerated().lazy.compactMap({ i, d -> (Int, Check)? in
            if case .decided(let c) = d, c.passed { return (i, c) } else { return nil }
        }).first {
            return .decided(Check(passed: true, expected: expected, observed: "(\(index + 1)) was met: \(met.observed)", decidedAtNs: met.decidedAtNs ?? nowNs, window: met.window))
        }
        var deadline: Int64?
        var observed: [String] = []
        for (i, d) in decisions.enumerated() {
            switch d {
            case .pending(let at): deadline = Swift.min(deadline ?? at, at)
            case .decided(let c): observed.append("(\(i + 1)) \(c.observed)")
            }
        }
        if let deadline { return .pending(deadlineNs: deadline) }
        let first: Check? = if case .decided(let c)? = decisions.first { c } else { nil }
        return .decided(Check(passed: false, expected: expected, observed: "none was met: " + observed.joined(separator: "; "), decidedAtNs: nowNs, window: first?.window))
    }
}
