public import NATSFaultScenario

/// What the ADR-32 discovery subjects of one service answered, one probe's worth.
public struct ServiceObservation: Sendable, Hashable {
    /// Distinct instance ids among the `$SRV.PING` replies.
    public var instances: Int
    /// The endpoint subjects `$SRV.INFO` listed, over every instance, sorted and without repeats (nil: not asked).
    public var subjects: [String]?
    /// `num_requests` and `num_errors` of `$SRV.STATS`, summed over instances and endpoints (nil: not asked).
    public var requests: Int?
    public var errors: Int?

    public init(instances: Int, subjects: [String]?, requests: Int?, errors: Int?) {
        self.instances = instances
        self.subjects = subjects
        self.requests = requests
        self.errors = errors
    }

    /// Reads the replies, each a JSON object. Both shapes the shipped libraries answer with are understood:
    /// ADR-32 v1 (`endpoints: [{subject, num_requests, num_errors}]`) and nats.go 1.22's earlier one
    /// (one endpoint per service: top-level `subject`, `num_requests`, `num_errors`).
    public init(ping: [[String: Any]], info: [[String: Any]]?, stats: [[String: Any]]?) {
        instances = Set(ping.compactMap { $0["id"] as? String }).count
        var subjects = Set<String>()
        for reply in info ?? [] {
            if let subject = reply["subject"] as? String { subjects.insert(subject) }
            for endpoint in reply["endpoints"] as? [[String: Any]] ?? [] {
                if let subject = endpoint["subject"] as? String { subjects.insert(subject) }
            }
        }
        self.subjects = info == nil ? nil : subjects.sorted()
        var requests = 0, errors = 0
        for reply in stats ?? [] {
            let parts = (reply["endpoints"] as? [[String: Any]]) ?? [reply]
            for part in parts {
                requests += part["num_requests"] as? Int ?? 0
                errors += part["num_errors"] as? Int ?? 0
            }
        }
        self.requests = stats == nil ? nil : requests
        self.errors = stats == nil ? nil : errors
    }

    /// The observation in words, for reports: `3 instances; subjects orders.get; 12 requests, 0 errors`.
    public var summary: String {
        var parts = ["\(instances) instance\(instances == 1 ? "" : "s")"]
        if let subjects { parts.append("subjects \(subjects.isEmpty ? "none" : subjects.joined(separator: ", "))") }
        if let requests, let errors { parts.append("\(requests) requests, \(errors) errors") }
        return parts.joined(separator: "; ")
    }
}

extension ServiceProbe {
    /// Whether the observation shows what the probe asks for.
    public func holds(for o: ServiceObservation) -> Bool {
        (instances?.contains(o.instances) ?? true)
            && (subjects.map { Set($0).isSubset(of: Set(o.subjects ?? [])) } ?? true)
            && (requests.map { $0.contains(o.requests ?? -1) } ?? true)
            && (errors.map { $0.contains(o.errors ?? -1) } ?? true)
    }

    /// Which discovery subjects the probe needs to ask.
    public var needsInfo: Bool { subjects != nil }
    public var needsStats: Bool { requests != nil || errors != nil }
}
