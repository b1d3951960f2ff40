import Foundation
@testable import NATSFaultScenario
import Testing

/// docs/scenario.schema.json is `natsfault schema`'s output, written from the key table the parser reads files by.
struct ScenarioSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theCommittedSchemaIsTheGeneratedOne() throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("docs/scenario.schema.json"), encoding: .utf8)
        #expect(committed == ScenarioSchema.document(), "regenerate it: natsfault schema > docs/scenario.schema.json")
    }

    /// Every kind of mapping the parser checks keys against, as `ScenarioKeys` and the faults declare them.
    static let parsed: [MappingKind] = [
        ScenarioKeys.scenario, ScenarioKeys.only, ScenarioKeys.knownDifference, ScenarioKeys.account, ScenarioKeys.accountUser,
        ScenarioKeys.server, ScenarioKeys.user, ScenarioKeys.client, ScenarioKeys.options, ScenarioKeys.service, ScenarioKeys.endpoint,
        ScenarioKeys.subscription, ScenarioKeys.responder, ScenarioKeys.publisher, ScenarioKeys.requester, ScenarioKeys.step,
        ScenarioKeys.subscribeStep, ScenarioKeys.replyStep, ScenarioKeys.publishStep, ScenarioKeys.requestStep, ScenarioKeys.flush,
        ScenarioKeys.count, ScenarioKeys.expect, ScenarioKeys.expectAbsent, ScenarioKeys.alternative, ScenarioKeys.expectServer,
        ScenarioKeys.closedCheck, ScenarioKeys.routesCheck, ScenarioKeys.openCheck, ScenarioKeys.varzCheck, ScenarioKeys.probe,
        ScenarioKeys.probeService, ScenarioKeys.proxy, ScenarioKeys.assertion, ScenarioKeys.events, ScenarioKeys.order,
        ScenarioKeys.messages, ScenarioKeys.publishes, ScenarioKeys.requests, ScenarioKeys.publishBySeq, ScenarioKeys.requestBySeq,
        ScenarioKeys.jetStream, ScenarioKeys.stream, ScenarioKeys.consumer, ScenarioKeys.jsPublishStep, ScenarioKeys.jsConsumeStep,
        ScenarioKeys.jsStopStep, ScenarioKeys.jetStreamAssertion, ScenarioKeys.jetStreamConsumerRef,
    ] + FaultCatalog.all.filter { $0.target == .link || !$0.parameters.isEmpty }.map { $0.keys }

    /// The keys the schema gives a mapping kind and which it requires: its own properties, and for a kind whose
    /// variants decide its keys (a proxy fault), theirs too.
    static func schemaKeys(of id: String, in schema: [String: Any]) -> (keys: Set<String>, required: Set<String>)? {
        let definitions = schema["$defs"] as? [String: Any] ?? [:]
        guard let object = id == "scenario" ? schema : definitions[id] as? [String: Any] else { return nil }
        var keys = Set((object["properties"] as? [String: Any] ?? [:]).keys)
        for rule in object["allOf"] as? [[String: Any]] ?? [] {
            guard let then = rule["then"] as? [String: Any], let ref = then["$ref"] as? String,
                  let variant = definitions[String(ref.dropFirst("#/$defs/".count))] as? [String: Any] else { continue }
            keys.formUnion((variant["properties"] as? [String: Any] ?? [:]).keys)
        }
        return (keys, Set(object["required"] as? [String] ?? []))
    }

    @Test func everyKeyTheParserAcceptsIsInTheSchemaAndNoOther() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(ScenarioSchema.document().utf8)) as? [String: Any])
        let defined = ScenarioSchema.kinds().map(\.id)
        #expect(Set(defined).count == defined.count, "two kinds share an id: \(defined)")
        for kind in Self.parsed {
            #expect(defined.contains(kind.id), "\(kind.id) is not in the schema")
            let found = try #require(Self.schemaKeys(of: kind.id, in: schema), "\(kind.id)")
            #expect(found.keys == Set(kind.names), "\(kind.id)")
            if kind.variants == nil { #expect(found.required == Set(kind.keys.filter(\.required).map(\.name)), "\(kind.id)") }
        }
        // And the schema defines no kind of mapping the parser does not check keys against.
        #expect(Set(defined) == Set(Self.parsed.map(\.id)))
    }

    /// A key that the parser reads with a range or a floor has it in the schema too.
    @Test func rangesAndFloorsAreTheParsers() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(ScenarioSchema.document().utf8)) as? [String: Any])
        let server = try #require((schema["$defs"] as? [String: Any])?["server"] as? [String: Any])
        let properties = try #require(server["properties"] as? [String: [String: Any]])
        #expect(properties["ping_max"]?["minimum"] as? Int == 1 && properties["ping_max"]?["maximum"] as? Int == 1000)
        #expect(properties["ping_interval"]?["$ref"] as? String == "#/$defs/positive_duration")
        #expect(properties["lame_duck_duration"]?["$ref"] as? String == "#/$defs/duration")
        let error = #expect(throws: ScenarioError.self) {
            try ScenarioParser.parse("servers: [{name: a, ping_max: 1001}]\nclients: [{name: c}]\nassert: [{events: {client: c, event: connected}}]",
                                     file: "range.yaml", shippedDrivers: shipped)
        }
        #expect(error?.message == "servers[0].ping_max: 1001 is out of range; allowed: 1 to 1000")
    }

    // MARK: the timeline against the timeout

    func scenario(_ timeline: String, timeout: String? = nil) throws(ScenarioError) -> Scenario {
        let text = """
        \(timeout.map { "timeout: \($0)" } ?? "")
        servers: [{name: a}]
        clients: [{name: app}]
        timeline:
        \(timeline)
        """
        return try ScenarioParser.parse(text, file: "budget.yaml", shippedDrivers: shipped)
    }

    @Test func theEarliestEndsCountWhatMustPass() throws {
        let s = try scenario("""
          - {id: crash, restart: {server: a, down: 2s}}
          - expect: {client: app, event: reconnected, since: crash, within: 5s}
          - expect: {client: app, event: closed, count: 0, within: 3s}
          - {at: 4s, wait: 1s}
          - expect: {client: app, event: disconnected, count: 0, since: crash, not_before: 20s, within: 1s}
          - expect_absent: {client: app, event: closed, for: 2s}
          - any_of:
              - expect: {client: app, event: closed, count: 0, within: 30s}
              - expect_absent: {client: app, event: closed, for: 1s}
          - {after: 500ms, proxy: {fault: blackhole, for: 1h}}
        """)
        // restart 2s; an open count ends at once; a bounded one waits its 3s; at: 4s has passed; wait 1s; the window since
        // crash closes at 21s; 2s of absence; the shorter alternative; 500ms later, a proxy fault that lasts in the background.
        #expect(s.earliestStepEnds == [.seconds(2), .seconds(2), .seconds(5), .seconds(6), .seconds(21), .seconds(23), .seconds(24), .milliseconds(24500)])
    }

    @Test func aTimelineLongerThanItsTimeoutIsRefusedNamingBoth() throws {
        let steps = """
          - wait: 10s
          - expect_absent: {client: app, event: closed, for: 25s}
        """
        let error = #expect(throws: ScenarioError.self) { try scenario(steps, timeout: "30s") }
        #expect(error?.location.line == 6)
        #expect(error?.message == "timeline[1]: this step (expect no app: closed for 25s) cannot end before 35s into the timeline, beyond the scenario's timeout of 30s; raise \"timeout\" above 35s, or shorten the timeline")
        #expect(try scenario(steps, timeout: "35s").timeout == .seconds(35))
    }
}
