public import NATSFaultScenario

extension ServerExpectation.Condition {
    /// The monitoring path this condition reads.
    public var path: String {
        switch self {
        case .closed: "/connz?state=closed&limit=1024"
        case .open: "/connz?limit=1024"
        case .varz: "/varz"
        case .routes: "/routez"
        }
    }

    /// Judges the condition against the endpoint's JSON document.
    ///
    /// - Parameter peerID: for a route count to one peer, that peer's server id (from its /varz).
    /// - Returns: whether it holds, and what was seen, in words.
    public func judge(_ document: [String: Any], peerID: String? = nil) -> (met: Bool, observed: String) {
        let connections = document["connections"] as? [[String: Any]] ?? []
        switch self {
        case .closed(let client, let reason):
            let mine = connections.filter { client == nil || ($0["name"] as? String) == client }
            let reasons = mine.compactMap { $0["reason"] as? String }
            let met = reasons.contains { $0.localizedLowercase.contains(reason.lowercased()) }
            return (met, reasons.isEmpty ? "no closed connection\(client.map { " named \($0)" } ?? "")" : "closed with: \(reasons.suffix(5).joined(separator: ", "))")
        case .open(let client, let count):
            let n = connections.filter { client == nil || ($0["name"] as? String) == client }.count
            return (count.contains(n), "\(n) open")
        case .varz(let field, let count):
            guard let value = document[field] as? Int else { return (false, "no numeric field \(field) in /varz") }
            return (count.contains(value), "\(field) = \(value)")
        case .routes(let peer, let count):
            let routes = document["routes"] as? [[String: Any]] ?? []
            let n = peer == nil ? routes.count : routes.filter { ($0["remote_id"] as? String) == peerID }.count
            return (count.contains(n), "\(n) route connection(s)\(peer.map { " to \($0)" } ?? "")")
        }
    }
}
