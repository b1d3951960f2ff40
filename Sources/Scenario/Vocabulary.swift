/// The error kinds every driver maps its library's errors onto (DRIVER-PROTOCOL.md).
public enum ErrorKind: String, Sendable, Hashable, Codable, CaseIterable {
    case staleConnection = "stale_connection"
    case connectionClosed = "connection_closed"
    case noServers = "no_servers"
    case connectionRefused = "connection_refused"
    case timeout
    case noResponders = "no_responders"
    case slowConsumer = "slow_consumer"
    case authorizationViolation = "authorization_violation"
    case authenticationExpired = "authentication_expired"
    case maxConnectionsExceeded = "max_connections_exceeded"
    case reconnectBufferExceeded = "reconnect_buffer_exceeded"
    case maxPayloadExceeded = "max_payload_exceeded"
    case draining
    case ioError = "io_error"
    case protocolError = "protocol_error"
    case permissionsViolation = "permissions_violation"
    // JetStream (DRIVER-PROTOCOL v1.1)
    case streamNotFound = "stream_not_found"
    case wrongLastSequence = "wrong_last_sequence"
    case consumerNotFound = "consumer_not_found"
    case consumerDeleted = "consumer_deleted"
    case heartbeatsMissed = "heartbeats_missed"
    case jetStreamNotEnabled = "jetstream_not_enabled"
    case other
}

/// The client events a scenario can expect (DRIVER-PROTOCOL.md), plus `exited` for the driver process ending.
public enum ClientEventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case connected
    case disconnected
    case reconnected
    case closed
    case error
    case lameDuck = "lame_duck"
    case discoveredServers = "discovered_servers"
    /// A `-ERR` the server sent this client, seen on the wire by the proxy (proxied clients only).
    case serverErr = "server_err"
    /// A `connect` command failed (server down without retry, refused, authorization …); the error says why.
    case connectFailed = "connect_failed"
    /// The driver process itself ended (a crash, or killed by a fault); for an application, its process.
    case exited
    /// A line an application under test (`command:`) wrote on stdout or stderr.
    case output
    /// The stream acknowledged a `js_publish` message.
    case jsAck = "js_ack"
    /// A `js_publish` message got no acknowledgement; the error says why.
    case jsPublishFailed = "js_publish_failed"
    /// A durable consumer delivered a message.
    case jsMessage = "js_message"
    /// A consumer failed in a way the library reports (missed heartbeats, a deleted consumer, a failed fetch).
    case jsConsumerError = "js_consumer_error"
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// The allowed values, for error messages: `a, b, c`.
    public static var allowedList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
