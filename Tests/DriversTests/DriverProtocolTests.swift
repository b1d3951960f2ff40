@testable import NATSFaultDrivers
import NATSFaultScenario
import Testing

/// The driver protocol's encoding, without processes: lines read from a driver and commands written to it.
@Suite struct DriverLineTests {
    @Test func splitKeepsNonBlankLinesWithoutSurroundingBlanks() {
        let bytes = Array("  {\"event\":\"a\"}\r\n\n\t\n{\"event\":\"b\"}  \nlast".utf8)
        #expect(DriverLine.split(bytes[...]) == [#"{"event":"a"}"#, #"{"event":"b"}"#, "last"])
        #expect(DriverLine.split(Array(" \r\n".utf8)[...]).isEmpty)
    }
}

@Suite struct DriverOpTests {
    /// Every op, as the exact line a driver reads (DRIVER-PROTOCOL v1; keys sorted).
    @Test(arguments: [
        (DriverOp.connect(servers: ["nats://127.0.0.1:4222"], name: "c1", options: ConnectOptions()),
         #"{"id":7,"name":"c1","op":"connect","options":{},"servers":["nats://127.0.0.1:4222"]}"#),
        (.connect(servers: ["nats://a:1", "nats://b:2"], name: "c2", options: DriverOpTests.everyOption),
         #"{"id":7,"name":"c2","op":"connect","options":{"allow_reconnect":false,"connect_timeout_ms":2000,"drain_timeout_ms":3000,"ignore_discovered_servers":true,"max_pings_out":2,"max_reconnects":-1,"no_randomize":true,"password":"p","ping_interval_ms":500,"reconnect_buffer_bytes":1024,"reconnect_jitter_ms":100,"reconnect_wait_ms":250,"retry_on_failed_connect":true,"token":"t","user":"u"},"servers":["nats://a:1","nats://b:2"]}"#),
        (.subscribe(subject: "s.>", sub: "s1", queue: nil), #"{"id":7,"op":"subscribe","sub":"s1","subject":"s.>"}"#),
        (.subscribe(subject: "s", sub: "s1", queue: "q"), #"{"id":7,"op":"subscribe","queue":"q","sub":"s1","subject":"s"}"#),
        (.reply(subject: "svc", queue: nil), #"{"id":7,"op":"reply","subject":"svc"}"#),
        (.reply(subject: "svc", queue: "workers"), #"{"id":7,"op":"reply","queue":"workers","subject":"svc"}"#),
        (.publish(subject: "p", stream: "st", count: 10, ratePerSecond: nil, payloadBytes: nil), #"{"count":10,"id":7,"op":"publish","stream":"st","subject":"p"}"#),
        (.publish(subject: "p", stream: "st", count: 10, ratePerSecond: 2.5, payloadBytes: 16),
         #"{"count":10,"id":7,"op":"publish","payload_bytes":16,"rate_per_s":2.5,"stream":"st","subject":"p"}"#),
        (.request(subject: "r", stream: "rs", count: 3, timeout: .seconds(2), interval: nil), #"{"count":3,"id":7,"op":"request","stream":"rs","subject":"r","timeout_ms":2000}"#),
        (.request(subject: "r", stream: "rs", count: 3, timeout: .milliseconds(300), interval: .milliseconds(50)),
         #"{"count":3,"id":7,"interval_ms":50,"op":"request","stream":"rs","subject":"r","timeout_ms":300}"#),
        (.service(name: "svc", version: "1.0.0", endpoints: [ServiceEndpoint(name: "echo", subject: "svc.echo", queue: nil),
                                                             ServiceEndpoint(name: "q", subject: "svc.q", queue: "g")]),
         #"{"endpoints":[{"name":"echo","subject":"svc.echo"},{"name":"q","queue":"g","subject":"svc.q"}],"id":7,"name":"svc","op":"service","version":"1.0.0"}"#),
        (.flush(timeout: .seconds(1)), #"{"id":7,"op":"flush","timeout_ms":1000}"#),
        (.drain, #"{"id":7,"op":"drain"}"#),
        (.close, #"{"id":7,"op":"close"}"#),
        (.stats, #"{"id":7,"op":"stats"}"#),
        (.exit, #"{"id":7,"op":"exit"}"#),
        (.raw(op: "natsfault_conformance_no_such_op", fields: ["x": 1]), #"{"id":7,"op":"natsfault_conformance_no_such_op","x":1}"#),
    ])
    func encodesTheProtocolLine(op: DriverOp, line: String) {
        #expect(String(decoding: op.line(id: 7), as: UTF8.self) == line + "\n")
    }

    @Test func namesAreTheProtocolOps() {
        #expect(DriverOp.drain.name == "drain")
        #expect(DriverOp.raw(op: "other", fields: [:]).name == "other")
        #expect(DriverOp.flush(timeout: .seconds(1)).name == "flush")
    }

    static var everyOption: ConnectOptions {
        var o = ConnectOptions()
        o.allowReconnect = false
        o.maxReconnects = -1
        o.reconnectWait = .milliseconds(250)
        o.reconnectJitter = .milliseconds(100)
        o.reconnectBufferBytes = 1024
        o.pingInterval = .milliseconds(500)
        o.maxPingsOut = 2
        o.connectTimeout = .seconds(2)
        o.retryOnFailedConnect = true
        o.noRandomize = true
        o.ignoreDiscoveredServers = true
        o.user = "u"
        o.password = "p"
        o.token = "t"
        o.drainTimeout = .seconds(3)
        return o
    }
}
