import NATSFaultDrivers
@testable import NATSFaultScenario
import Synchronization
import Testing

/// A scenario around one timeline step, for the tests of single faults: servers `a` and `b` in cluster `east`,
/// proxied clients `app` (to a and b) and `svc` (to a), and `direct` (link: direct); with `accounts`, the servers are
/// in operator mode with the account `shop` and its users `x` (expiring 3 s into the timeline) and `y`.
func scenario(step: String, judge: Bool = true, accounts: Bool = false) throws(ScenarioError) -> Scenario {
    let text = """
    servers:
      - {name: a, cluster: east}
      - {name: b, cluster: east}
    clients:
      - {name: app}
      - {name: svc, servers: [a]}
      - {name: direct, link: direct}
    timeline:
      - \(step)
    \(judge ? "  - expect: {client: app, event: connected, within: 1s}" : "")
    \(accounts ? "accounts: [{name: shop, users: [{name: x, expires: 3s}, y]}]" : "")
    """
    return try ScenarioParser.parse(text, file: "fault.yaml", shippedDrivers: DriverCatalog.shipped.map(\.name))
}

/// The fault the first step of `step`'s scenario holds.
func fault(_ step: String, accounts: Bool = false) throws -> any Fault {
    guard case .fault(let fault) = try scenario(step: step, accounts: accounts).steps[0].action else { throw NotAFault(step: step) }
    return fault.base
}

/// The error a step gives, as `line:column: message`.
func error(_ step: String, accounts: Bool = false) -> String? {
    do { _ = try scenario(step: step, accounts: accounts); return nil } catch { return "\(error.location.line):\(error.location.column): \(error.message)" }
}

struct NotAFault: Error { var step: String }

/// A `FaultContext` that writes down what a fault asks of it, in order.
final class RecordingContext: FaultContext {
    private let calls = Mutex<[String]>([])
    private let links = Mutex<[any LinkFault]>([])
    /// The link faults put on links, as they were put.
    var linkFaults: [any LinkFault] { links.withLock { $0 } }
    var recorded: [String] { calls.withLock { $0 } }
    private func note(_ call: String) { calls.withLock { $0.append(call) } }

    func startServer(_ name: String, version: String?) async throws { note("start \(name)" + (version.map { " on \($0)" } ?? "")) }
    func stopServer(_ name: String, with signal: ProcessSignal) async throws { note("stop \(name) \(signal.rawValue)") }
    func signalServer(_ name: String, _ signal: ProcessSignal) async throws { note("signal \(name) \(signal.rawValue)") }
    func reloadServer(_ name: String, _ change: ServerConfigChange) async throws {
        note("reload \(name) users \(change.users?.map(\.user) ?? []) max_connections \(change.maxConnections.map(String.init) ?? "-")")
    }
    func rotateCredentials(_ user: String, expiry: CredentialExpiry?) async throws { note("rotate \(user) \(expiry.map { "\($0)" } ?? "never")") }
    func signalClient(_ name: String, _ signal: ProcessSignal) async throws { note("signal client \(name) \(signal.rawValue)") }
    func restartClient(_ name: String) async throws { note("restart client \(name)") }
    func addLinkFault(_ fault: any LinkFault, step: Int, client: String?, server: String?) async throws {
        note("link \(type(of: fault).name) step \(step) \(client ?? "*") → \(server ?? "*")")
        links.withLock { $0.append(fault) }
    }
    func removeLinkFault(step: Int) async throws { note("unlink step \(step)") }
    func addFirewallRules(_ rules: [FirewallRule]) async throws { note("add " + rules.map(\.description).joined(separator: "; ")) }
    func removeFirewallRules(_ rules: [FirewallRule]) async throws { note("remove " + rules.map(\.description).joined(separator: "; ")) }
    func wait(_ duration: Duration) async throws { note("wait \(DurationText.format(duration))") }
    func seed(forStep step: Int) -> UInt64 { 1000 + UInt64(step) }
}

/// What applying (and, for a lasting fault, healing) `fault` asks of the run, in order.
func effects(of fault: any Fault, healing: Bool = false) async throws -> [String] {
    let context = RecordingContext()
    try await fault.apply(in: context, step: 3)
    if healing { try await fault.heal(in: context, step: 3) }
    return context.recorded
}

/// How `fault` shapes the bytes flowing each way.
func shapes(_ fault: any Fault) -> (toServer: FlowShape, toClient: FlowShape) {
    let link = fault as! any LinkFault
    return (FlowShape(faults: [link], flow: .toServer), FlowShape(faults: [link], flow: .toClient))
}
