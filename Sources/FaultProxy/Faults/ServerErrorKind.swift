import NATSFaultScenario

/// The shared error kind for a server's `-ERR '<text>'`, as the proxy sees it on the wire.
enum ServerErrorKind {
    static func kind(of text: String) -> ErrorKind {
        let t = text.lowercased()
        if t.contains("stale connection") { return .staleConnection }
        if t.contains("authorization violation") { return .authorizationViolation }
        if t.contains("authentication expired") { return .authenticationExpired }
        if t.contains("maximum connections exceeded") { return .maxConnectionsExceeded }
        if t.contains("permissions violation") { return .permissionsViolation }
        if t.contains("slow consumer") { return .slowConsumer }
        if t.contains("maximum payload") { return .maxPayloadExceeded }
        if t.contains("unknown protocol") || t.contains("parser error") || t.contains("maximum control line") {
            return .protocolError
        }
        return .other
    }
}
