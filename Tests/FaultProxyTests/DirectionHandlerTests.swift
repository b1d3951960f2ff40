import Foundation
import NATSFaultScenario
import NATSFaultTimeline
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import NATSFaultProxy

/// One relay direction on an embedded channel: what goes in is a read from the peer, what comes out
/// (`readInbound`) is what the proxy would forward.
private final class Harness {
    let channel: EmbeddedChannel
    let handler: DirectionHandler
    let reads = ReadCounter()
    let recorded = NIOLockedValueBox<[RecordedEvent]>([])
    let limitHits = NIOLockedValueBox(0)

    init(flow: Direction, faults: [any LinkFault] = [], parses: Bool = true, inspectsConnect: Bool = false, connectURLs: ConnectURLRewrite? = nil) throws {
        let recorded = self.recorded, limitHits = self.limitHits
        handler = DirectionHandler(flow: flow, link: LinkID(client: "app", server: "a"), parses: parses, inspectsConnect: inspectsConnect,
                                   connectURLs: connectURLs,
                                   record: { e in recorded.withLockedValue { $0.append(e) } },
                                   limitReached: { limitHits.withLockedValue { $0 += 1 } })
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([reads, handler])
        handler.update(faults)
    }

    func send(_ text: String) throws { try channel.writeInbound(ByteBuffer(string: text)) }

    /// Everything forwarded so far, as text.
    func forwarded() throws -> String {
        var out = ""
        while var b = try channel.readInbound(as: ByteBuffer.self) { out += b.readString(length: b.readableBytes) ?? "" }
        return out
    }

    func advance(_ ms: Int64) { channel.embeddedEventLoop.advanceTime(by: .milliseconds(ms)) }

    func events(_ name: EventName) -> [RecordedEvent] { recorded.withLockedValue { $0.filter { $0.event == name } } }
}

/// Counts the read requests that get past the direction handler.
private final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    var count = 0
    func read(context: ChannelHandlerContext) {
        count += 1
        context.read()
    }
}

private let clientStream = "CONNECT {\"verbose\":false}\r\nSUB a 1\r\nPING\r\nPUB a 6\r\nPING\r\n\r\nPONG\r\nPUB a 0\r\n\r\nping\r\n"
private let serverStream = "INFO {\"x\":1}\r\n+OK\r\nPONG\r\nMSG a 1 6\r\nPONG\r\n\r\nPING\r\n-ERR 'Stale Connection'\r\n"

/// A CONNECT with a user JWT whose nonce signature the client left out, as a library with a broken encoder sends it.
private let unsignedConnect = "CONNECT {\"jwt\":\"eyJ0eXAiOiJKV1QifQ.e30.c2ln\",\"verbose\":false,\"lang\":\"C\"}\r\nPING\r\n"

struct DirectionHandlerTests {
    @Test(arguments: 0...unsignedConnect.utf8.count)
    func aJWTWithoutItsSignatureIsRecordedWhereverTheConnectIsSplit(split: Int) throws {
        // The client's bytes are not parsed (no fault filters them), and pass unchanged.
        let h = try Harness(flow: .toServer, parses: false, inspectsConnect: true)
        let bytes = Array(unsignedConnect.utf8)
        try h.send(String(decoding: bytes[..<split], as: UTF8.self))
        try h.send(String(decoding: bytes[split...], as: UTF8.self))
        #expect(try h.forwarded() == unsignedConnect)
        let logs = h.events(.log)
        #expect(logs.count == 1)
        #expect(logs.first?.text?.contains("a user JWT but no signature of the server's nonce (\"sig\" missing)") == true, "\(logs)")
    }

    @Test func aSignedConnectOrOneWithoutAJWTIsNotRecorded() throws {
        for line in ["CONNECT {\"jwt\":\"x.y.z\",\"sig\":\"c2ln\"}\r\n", "CONNECT {\"user\":\"u\",\"pass\":\"p\"}\r\n",
                     "CONNECT {\"jwt\":\"\"}\r\n", "SUB a 1\r\nCONNECT {\"jwt\":\"x\"}\r\n"] {
            let h = try Harness(flow: .toServer, parses: false, inspectsConnect: true)
            try h.send(line)
            #expect(try h.forwarded() == line)
            #expect(h.events(.log).isEmpty, "\(line)")
        }
        // An empty signature is none.
        let h = try Harness(flow: .toServer, parses: false, inspectsConnect: true)
        try h.send("CONNECT {\"jwt\":\"x.y.z\",\"sig\":\"\"}\r\n")
        #expect(h.events(.log).first?.text?.contains("(\"sig\" empty)") == true)
    }
    @Test(arguments: 0...clientStream.utf8.count)
    func passesEveryByteWhenNoFaultIsActive(split: Int) throws {
        let h = try Harness(flow: .toServer)
        let bytes = Array(clientStream.utf8)
        try h.send(String(decoding: bytes[..<split], as: UTF8.self))
        try h.send(String(decoding: bytes[split...], as: UTF8.self))
        #expect(try h.forwarded() == clientStream)
    }

    @Test(arguments: 0...clientStream.utf8.count)
    func dropsExactlyThePINGOperationsWhereverTheStreamIsSplit(split: Int) throws {
        let h = try Harness(flow: .toServer, faults: [F.dropPings(.toServer)])
        let bytes = Array(clientStream.utf8)
        try h.send(String(decoding: bytes[..<split], as: UTF8.self))
        try h.send(String(decoding: bytes[split...], as: UTF8.self))
        // The payload "PING\r\n" of the first PUB is data, not an operation: it stays.
        #expect(try h.forwarded() == "CONNECT {\"verbose\":false}\r\nSUB a 1\r\nPUB a 6\r\nPING\r\n\r\nPONG\r\nPUB a 0\r\n\r\n")
        #expect(h.events(.pingDropped).count == 2)
    }

    @Test func dropsPONGsOnlyInTheFaultsDirection() throws {
        let toClient = try Harness(flow: .toClient, faults: [F.dropPongs(.toClient)])
        try toClient.send(serverStream)
        #expect(try toClient.forwarded() == "INFO {\"x\":1}\r\n+OK\r\nMSG a 1 6\r\nPONG\r\n\r\nPING\r\n-ERR 'Stale Connection'\r\n")
        let toServer = try Harness(flow: .toServer, faults: [F.dropPongs(.toClient)])
        try toServer.send(clientStream)
        #expect(try toServer.forwarded() == clientStream)
    }

    @Test func recordsEveryErrorTheServerSends() throws {
        let h = try Harness(flow: .toClient)
        try h.send(serverStream)
        let errors = h.events(.serverErr)
        #expect(errors.count == 1)
        #expect(errors.first?.error?.kind == "stale_connection")
        #expect(errors.first?.error?.message == "Stale Connection")
        #expect(errors.first?.client == "app")
    }

    @Test func blackholeForwardsNothingAndHealingDoesNotReplay() throws {
        let h = try Harness(flow: .toClient, faults: [F.blackhole])
        try h.send(serverStream)
        #expect(try h.forwarded() == "")
        h.handler.update([])
        try h.send("PING\r\n")
        #expect(try h.forwarded() == "PING\r\n")
    }

    @Test func aBlackholedPathCarriesNoInjectedLineEither() throws {
        let h = try Harness(flow: .toClient, faults: [F.blackhole])
        h.handler.inject(ByteBuffer(string: "-ERR 'x'\r\n"))
        try h.send("PING\r\n")
        #expect(try h.forwarded() == "")
    }

    @Test func stallHoldsBytesInOrderUntilHealed() throws {
        let h = try Harness(flow: .toServer, faults: [F.stall(.toServer)])
        try h.send("PUB a 1\r\n")
        try h.send("x\r\n")
        h.advance(10_000)
        #expect(try h.forwarded() == "")
        h.handler.update([])
        try h.send("PING\r\n")
        #expect(try h.forwarded() == "PUB a 1\r\nx\r\nPING\r\n")
    }

    @Test func stallStopsReadingOnceItsQueueIsFull() throws {
        let h = try Harness(flow: .toServer, faults: [F.stall(.both)])
        let big = "PUB a 70000\r\n" + String(repeating: "x", count: 70000) + "\r\n"
        for _ in 0..<16 { try h.send(big) }
        let before = h.reads.count
        h.channel.read()
        #expect(h.reads.count == before, "a full queue must hold back reads")
        h.handler.update([])
        #expect(h.reads.count == before + 1, "healing must resume reading")
    }

    @Test func latencyDelaysAndKeepsOrder() throws {
        let h = try Harness(flow: .toClient, faults: [F.latency(.milliseconds(100), jitter: .zero, seed: 1, .toClient)])
        try h.send("PING\r\n")
        h.advance(50)
        try h.send("PONG\r\n")
        h.advance(49)
        #expect(try h.forwarded() == "")
        h.advance(1)
        #expect(try h.forwarded() == "PING\r\n")
        h.advance(50)
        #expect(try h.forwarded() == "PONG\r\n")
    }

    @Test func jitterRepeatsWithTheSameSeed() throws {
        func releaseTimes(seed: UInt64) throws -> [Int] {
            let h = try Harness(flow: .toClient, faults: [F.latency(.milliseconds(50), jitter: .milliseconds(40), seed: seed, .toClient)])
            for _ in 0..<5 { try h.send("PING\r\n"); h.advance(1) }
            var times: [Int] = []
            for t in 0..<200 {
                let n = try h.forwarded().utf8.count / 6
                times += Array(repeating: t, count: n)
                h.advance(1)
            }
            return times
        }
        let a = try releaseTimes(seed: 7), b = try releaseTimes(seed: 7), c = try releaseTimes(seed: 8)
        #expect(a.count == 5)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func bandwidthPacesTheBytes() throws {
        let h = try Harness(flow: .toClient, faults: [F.bandwidth(bytesPerSecond: 1000, .toClient)])
        try h.send("PUB a 194\r\n" + String(repeating: "x", count: 194) + "\r\n")  // 207 bytes
        var seen = try h.forwarded().utf8.count
        #expect(seen <= 20)
        h.advance(100)
        seen += try h.forwarded().utf8.count
        #expect((100...120).contains(seen), "at 1000 B/s, about 100 bytes in 100 ms, saw \(seen)")
        h.advance(150)
        seen += try h.forwarded().utf8.count
        #expect(seen == 207)
    }

    @Test func slicerDeliversPiecesApart() throws {
        let h = try Harness(flow: .toServer, faults: [F.slicer(bytes: 4, delay: .milliseconds(5), .toServer)])
        try h.send("PING\r\nPONG\r\n")  // 12 bytes: three pieces
        #expect(try h.forwarded() == "PING")
        h.advance(5)
        #expect(try h.forwarded() == "\r\nPO")
        h.advance(5)
        #expect(try h.forwarded() == "NG\r\n")
    }

    @Test func limitBytesForwardsTheLimitThenCuts() throws {
        let h = try Harness(flow: .toClient, faults: [F.limitBytes(10, .toClient)])
        try h.send("PING\r\nPONG\r\nPING\r\n")
        #expect(try h.forwarded() == "PING\r\nPONG")
        #expect(h.limitHits.withLockedValue { $0 } == 1)
    }

    @Test func delayedPONGsComeLaterAndOtherOperationsPass() throws {
        let h = try Harness(flow: .toClient, faults: [F.delayPongs(.milliseconds(200), .toClient)])
        try h.send("PONG\r\nPING\r\n")
        #expect(try h.forwarded() == "PING\r\n")
        h.advance(199)
        #expect(try h.forwarded() == "")
        h.advance(1)
        #expect(try h.forwarded() == "PONG\r\n")
    }

    @Test func injectedErrorsWaitForAnOperationBoundary() throws {
        let h = try Harness(flow: .toClient)
        try h.send("MSG a 1 10\r\n01234")
        h.handler.inject(ByteBuffer(string: "-ERR 'Permissions Violation'\r\n"))
        #expect(try h.forwarded() == "MSG a 1 10\r\n01234")
        try h.send("56789\r\nPING\r\n")
        #expect(try h.forwarded() == "56789\r\nPING\r\n-ERR 'Permissions Violation'\r\n")
        h.handler.inject(ByteBuffer(string: "-ERR 'x'\r\n"))
        #expect(try h.forwarded() == "-ERR 'x'\r\n")
    }
}

struct FlowShapeTests {
    @Test func faultsApplyOnlyToTheirDirection() {
        let faults: [any LinkFault] = [F.dropPings(.toServer), F.latency(.milliseconds(5), jitter: .zero, seed: 1, .both), F.stall(.toClient)]
        let up = FlowShape(faults: faults, flow: .toServer), down = FlowShape(faults: faults, flow: .toClient)
        #expect(up.dropPings && !down.dropPings)
        #expect(up.latency == .milliseconds(5) && down.latency == .milliseconds(5))
        #expect(!up.stalled && down.stalled)
        #expect(FlowShape(faults: [F.reset, F.refuse, F.injectError("x")], flow: .toClient) == FlowShape())
    }

    @Test func aThrottledLinkHoldsAboutOneSecondOfBandwidth() {
        #expect(FlowShape(faults: [F.bandwidth(bytesPerSecond: 20_000, .both)], flow: .toClient).queueLimit == 65536)
        #expect(FlowShape(faults: [F.bandwidth(bytesPerSecond: 200_000, .both)], flow: .toClient).queueLimit == 200_000)
        #expect(FlowShape().queueLimit == 1 << 20)
    }

    /// In a cluster, the addresses a server advertises are rewritten to the client's links, split reads
    /// included; what the server says around them passes unchanged.
    @Test func connectURLsInInfoAreRewrittenToTheClientsLinks() throws {
        let rewrite = ConnectURLRewrite(addresses: ["127.0.0.2:4222": "127.1.1.2:4222", "127.0.0.3:4222": "127.1.1.3:4222"])
        let h = try Harness(flow: .toClient, connectURLs: rewrite)
        let info = #"INFO {"server_id":"X","connect_urls":["127.0.0.2:4222","127.0.0.3:4222","10.0.0.9:4222"]}"# + "\r\n"
        try h.send("MSG a 1 2\r\nhi\r\n" + info.prefix(30))
        try h.send(info.dropFirst(30) + "PING\r\n")
        let out = try h.forwarded()
        #expect(out.hasPrefix("MSG a 1 2\r\nhi\r\nINFO {"))
        #expect(out.hasSuffix("}\r\nPING\r\n"))
        let json = try #require(out.split(separator: "\r\n")[2].dropFirst(5).data(using: .utf8))
        let document = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(document["connect_urls"] as? [String] == ["127.1.1.2:4222", "127.1.1.3:4222", "10.0.0.9:4222"])
        #expect(document["server_id"] as? String == "X")
    }

    /// `rewrite_info` sets `max_payload` in every INFO towards the client, a split one included, while it lasts; a
    /// heal lets the server's own INFO through again. The bytes the client sends are left alone.
    @Test func infoFieldsAreRewrittenWhileTheFaultLasts() throws {
        let info = #"INFO {"server_id":"X","max_payload":1024,"proto":1}"# + "\r\n"
        let h = try Harness(flow: .toClient, faults: [F.rewriteInfo(maxPayload: 10_485_760)])
        try h.send(String(info.prefix(20)))
        try h.send(info.dropFirst(20) + "PING\r\n" + info)
        let lines = try h.forwarded().split(separator: "\r\n")
        #expect(lines.count == 3 && lines[1] == "PING")
        for line in [lines[0], lines[2]] {
            let document = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(5).utf8)) as? [String: Any])
            #expect(document["max_payload"] as? Int == 10_485_760)
            #expect(document["server_id"] as? String == "X" && document["proto"] as? Int == 1)
        }
        h.handler.update([])
        try h.send(info)
        #expect(try h.forwarded() == info)
        let toServer = try Harness(flow: .toServer, faults: [F.rewriteInfo(maxPayload: 10_485_760)])
        try toServer.send(info)
        #expect(try toServer.forwarded() == info)
    }

    /// Route links relay bytes untouched: an `-ERR` line in route traffic is not recorded as a client's server error.
    @Test func aRouteLinkRelaysWithoutParsing() throws {
        let h = try Harness(flow: .toClient, parses: false)
        try h.send("RMSG $G foo 5\r\n-ERR 'x'\r\n")
        #expect(try h.forwarded() == "RMSG $G foo 5\r\n-ERR 'x'\r\n")
        #expect(h.events(.serverErr).isEmpty)
    }
}
