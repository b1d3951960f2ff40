/// Every fault natsfault knows, by target and name.
///
/// The list itself (`FaultCatalog.all`) is generated at build time from the files under
/// `Sources/Scenario/Faults/<Target>/` — each file `NAME.swift` declares the fault type `NAME` — so
/// that a new fault is its own file and nothing else. The parser, `natsfault list`, the docs tables
/// and outage accounting all ask here.
public enum FaultCatalog {
    /// The faults of one target, sorted by name.
    public static func faults(of target: FaultTarget) -> [any Fault.Type] {
        all.filter { $0.target == target }.sorted { $0.name < $1.name }
    }

    /// The fault a timeline key names (server, client and firewall faults).
    public static func step(named key: String) -> (any Fault.Type)? {
        all.first { $0.target != .link && $0.name == key }
    }

    /// The link fault `fault:` names under `proxy:`.
    public static func linkFault(named name: String) -> (any LinkFault.Type)? {
        all.lazy.compactMap { $0 as? any LinkFault.Type }.first { $0.name == name }
    }

    /// The names `fault:` may take under `proxy:`.
    public static var linkFaultNames: [String] { faults(of: .link).map { $0.name } }

    /// Whether the recorded fault named `name` cannot break a connection (outage accounting skips it).
    public static func isHarmless(_ name: String) -> Bool {
        all.contains { $0.harmless && $0.name == name }
    }

    /// The fault type a recorded or encoded name stands for.
    static func type(named name: String, target: FaultTarget) -> (any Fault.Type)? {
        all.first { $0.target == target && $0.name == name }
    }
}
