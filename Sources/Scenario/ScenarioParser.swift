import Yams

/// Reads scenario files into `Scenario` values, rejecting anything it does not understand.
public enum ScenarioParser {
    /// Parses one scenario document.
    ///
    /// - Parameters:
    ///   - text: the YAML text.
    ///   - file: the path shown in errors.
    ///   - shippedDrivers: the drivers natsfault ships, which `driver:` may name besides the file's own.
    /// - Throws: `ScenarioError` naming `file:line:column`, what is wrong and what is allowed.
    public static func parse(_ text: String, file: String, shippedDrivers: [String]) throws(ScenarioError) -> Scenario {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), "the file is empty; a scenario needs at least \"servers\" and \"clients\"")
            }
            root = node
        } catch let error as ScenarioError {
            throw error
        } catch let error as YamlError {
            throw yamlSyntaxError(error, text: text, file: file)
        } catch {
            throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(error)")
        }
        var builder = Builder(file: file, shippedDrivers: shippedDrivers)
        do {
            return try builder.scenario(YAMLValue(node: root, file: file, path: ""))
        } catch {
            let (line, column) = place(line: error.location.line, column: error.location.column, in: text)
            throw ScenarioError(SourceLocation(file: file, line: line, column: column), error.message)
        }
    }

    private static func yamlSyntaxError(_ error: YamlError, text: String, file: String) -> ScenarioError {
        func at(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> ScenarioError {
            // The YAML library's words for a tab in the indentation rarely say "tab"; the file's line does.
            for line in [mark.line] + (context.map { [$0.mark.line] } ?? []) {
                if let column = tabInIndentation(of: line, in: text) {
                    return ScenarioError(SourceLocation(file: file, line: line, column: column),
                                         "invalid YAML: a tab in the indentation; YAML indents with spaces only, so replace the tab with spaces")
                }
            }
            let ctx = context.map { context in
                let (line, column) = place(context.mark, in: text)
                return " (\(context.text) at \(line):\(column))"
            } ?? ""
            let (line, column) = place(mark, in: text)
            return ScenarioError(SourceLocation(file: file, line: line, column: column), "invalid YAML: \(problem)\(ctx); check indentation, colons and quotes")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _): return at(mark, problem, context)
        case .parser(let context, let problem, let mark, _): return at(mark, problem, context)
        case .composer(let context, let problem, let mark, _): return at(mark, problem, context)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let place = secondOccurrence(of: key, in: text, from: context.mark.line) ?? (context.mark.line, context.mark.column)
            return ScenarioError(SourceLocation(file: file, line: place.line, column: place.column), "key \"\(key)\" appears twice in one mapping; give each key once")
        default: return ScenarioError(SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)")
        }
    }
}

/// Where a place the YAML library names is in `text`: itself, or the end of the last line for the end of a file without
/// a final line break, which the library puts on a line of its own that the file does not have (as are nodes made there).
private func place(_ mark: Mark, in text: String) -> (line: Int, column: Int) {
    place(line: mark.line, column: mark.column, in: text)
}

private func place(line: Int, column: Int, in text: String) -> (line: Int, column: Int) {
    // Line breaks as YAML counts them: CR LF, CR, LF, NEL, LS, PS; columns count Unicode scalars.
    var lines = 1, end = 1, afterCR = false
    for scalar in text.unicodeScalars {
        if afterCR && scalar == "\n" {
            afterCR = false
            continue
        }
        afterCR = scalar == "\r"
        if ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
            lines += 1
            end = 1
        } else {
            end += 1
        }
    }
    return line > lines ? (lines, end) : (line, column)
}

/// The column of the first tab in the indentation of line `line` (1-based), counting a list's `- ` as indentation.
private func tabInIndentation(of line: Int, in text: String) -> Int? {
    let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    guard line >= 1, line <= lines.count else { return nil }
    let indentation = lines[line - 1].prefix { $0 == " " || $0 == "\t" || $0 == "-" }
    return indentation.firstIndex(of: "\t").map { indentation.distance(from: indentation.startIndex, to: $0) + 1 }
}

/// The line and column of the second `key:` at or after `line` (1-based, block or flow style), where a
/// duplicated key is reported (the YAML library names only the mapping).
private func secondOccurrence(of key: String, in text: String, from line: Int) -> (line: Int, column: Int)? {
    var seen = 0
    for (index, content) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where index + 1 >= line {
        let chars = Array(content)
        for start in chars.indices where content.dropFirst(start).hasPrefix(key + ":") {
            // A key starts a line (after indentation and "- ") or follows "{" or "," in a flow mapping.
            let before = chars[..<start].last { $0 != " " }
            guard before == nil || before == "-" || before == "{" || before == "," else { continue }
            seen += 1
            if seen == 2 { return (index + 1, start + 1) }
        }
    }
    return nil
}

/// Builds the model from checked YAML values; holds what later parts need to check references.
struct Builder {
    let file: String
    let shippedDrivers: [String]
    /// The servers and clients declared so far, which later parts refer to.
    var references = References()
    var servers: [ServerSpec] { references.servers }
    var serverNames: [String] { references.serverNames }
    var clients: [ClientSpec] { references.clients }
    var clientNames: [String] { references.clientNames }
    /// Drivers the file declares: name → command words.
    var drivers: [String: [String]] = [:]
    /// Lasting faults still in effect at the current point of the timeline, with their step ids (nil: no id), for `heal`.
    var healable: [(id: String?, fault: any Fault)] = []
    /// The scenario's JetStream streams and consumers, which steps and assertions refer to.
    var streams: [StreamSpec] = []
    var consumers: [ConsumerSpec] = []
    /// The `js_consume` subs of each client so far, for `js_stop` and `jetstream` assertions.
    var jsConsumes: [String: [String]] = [:]

    init(file: String, shippedDrivers: [String]) {
        self.file = file
        self.shippedDrivers = shippedDrivers
    }

    mutating func scenario(_ root: YAMLValue) throws(ScenarioError) -> Scenario {
        let top = try root.mapping(ScenarioKeys.scenario)
        let defaultName = String(file.split(separator: "/").last ?? Substring(file)).replacingSuffix(".yaml", with: "").replacingSuffix(".yml", with: "")
        let name = try top["name"]?.string() ?? defaultName
        let description = try top["description"]?.string() ?? ""

        if let value = top["drivers"] {
            for (name, command) in try value.names("drivers (driver names, each with its command)").entries {
                // A shipped driver's name replaces that driver for this file's clients, as `run --driver c=…` does for a run.
                try checkName(name, command)
                let words = try command.string().split(separator: " ").map(String.init)
                guard !words.isEmpty else { throw command.error("expected the driver's command (a path, then its arguments separated by spaces)") }
                drivers[name] = words
            }
        }

        let only = try top["only"].map { v throws(ScenarioError) in try libraryScope(v) }

        references.accounts = try References.accounts(top["accounts"])
        let serverValues = try top.required("servers").list()
        guard !serverValues.isEmpty else { throw try top.required("servers").error("needs at least one server") }
        for (index, value) in serverValues.enumerated() {
            let spec = try server(value, index: index)
            if serverNames.contains(spec.name) { throw value.error("server name \"\(spec.name)\" is used twice; names must be unique") }
            references.servers.append(spec)
        }
        try checkPorts(servers, serverValues)

        let clientValues = try top.required("clients").list()
        guard !clientValues.isEmpty else { throw try top.required("clients").error("needs at least one client") }
        guard clientValues.count <= 250 else { throw try top.required("clients").error("at most 250 clients") }
        for value in clientValues {
            let spec = try client(value)
            if clientNames.contains(spec.name) || serverNames.contains(spec.name) {
                throw value.error("name \"\(spec.name)\" is used twice; server and client names must be unique")
            }
            references.clients.append(spec)
        }

        try jetStream(top)

        var steps: [Step] = []
        var stepIDs: [String] = []
        let stepValues = try top["timeline"]?.list() ?? []
        for value in stepValues {
            let s = try step(value, earlierIDs: stepIDs)
            if case .fault(let fault) = s.action {
                healable.removeAll { fault.base.ends($0.fault) }
                if fault.base.lasting.healable { healable.append((s.id, fault.base)) }
            }
            if let id = s.id {
                if stepIDs.contains(id) { throw value.error("step id \"\(id)\" is used twice; ids must be unique") }
                stepIDs.append(id)
            }
            steps.append(s)
        }

        var assertions: [Assertion] = []
        var assertionLocations: [SourceLocation] = []
        var assertionDrivers: [Int: [String]] = [:]
        for (index, value) in (try top["assert"]?.list() ?? []).enumerated() {
            let (a, drivers) = try assertion(value)
            assertions.append(a)
            assertionLocations.append(value.location)
            if let drivers { assertionDrivers[index] = drivers }
        }

        var versions: [String] = []
        for v in try top["server_versions"]?.list() ?? [] {
            versions.append(try v.versionPrefix())
        }
        let timeout = try top["timeout"]?.duration() ?? .seconds(180)
        guard steps.contains(where: \.action.judges) || !assertions.isEmpty else {
            throw root.error("a scenario judges something; add an \"expect\", \"expect_absent\", \"expect_server\" or \"probe_service\" step to \"timeline\" or an entry to \"assert\"")
        }

        var scenario = Scenario(
            name: name, description: description, file: file,
            serverVersions: versions, serverVersionsReason: try top["server_versions_reason"]?.string(),
            servers: servers, clients: clients, steps: steps, assertions: assertions, timeout: timeout, drivers: drivers, accounts: references.accounts)
        scenario.only = only
        scenario.assertionLocations = assertionLocations
        scenario.assertionDrivers = assertionDrivers
        scenario.streams = streams
        scenario.consumers = consumers
        // A client with JetStream steps needs a DRIVER-PROTOCOL 1.1 driver: the capability joins its `requires`.
        for i in scenario.clients.indices where scenario.usesJetStream(client: scenario.clients[i].name) && !scenario.clients[i].requires.contains("jetstream") {
            scenario.clients[i].requires.append("jetstream")
        }
        try checkStreams(scenario, top)
        scenario.knownDifferences = try knownDifferences(top["known_differences"], scenario: scenario)
        try checkTimeout(scenario, stepValues, given: top["timeout"] != nil)
        return scenario
    }

    /// A timeline that cannot end within the scenario's `timeout` is refused now, not after running for all of it.
    func checkTimeout(_ scenario: Scenario, _ stepValues: [YAMLValue], given: Bool) throws(ScenarioError) {
        let ends = scenario.earliestStepEnds
        guard let index = ends.firstIndex(where: { $0 > scenario.timeout }) else { return }
        let timeout = DurationText.format(scenario.timeout), end = DurationText.format(ends[index])
        throw stepValues[index].error(
            "this step (\(scenario.steps[index].action)) cannot end before \(end) into the timeline, beyond the scenario's timeout of \(timeout)\(given ? "" : " (the default)"); raise \"timeout\" above \(end), or shorten the timeline")
    }

    // MARK: servers

    func server(_ value: YAMLValue, index: Int) throws(ScenarioError) -> ServerSpec {
        let m = try value.mapping(ScenarioKeys.server)
        let name = try m.required("name").string()
        try checkName(name, m.required("name"))
        guard index < 250 else { throw value.error("at most 250 servers") }
        var config = ServerConfig()
        config.pingInterval = try m["ping_interval"]?.duration()
        config.pingMax = try m["ping_max"]?.int()
        config.maxConnections = try m["max_connections"]?.int()
        config.writeDeadline = try m["write_deadline"]?.duration()
        config.maxPending = try m["max_pending"]?.int()
        if let v = m["max_payload"] {
            // nats-server refuses to start with a max_payload above max_pending (64 MiB by default).
            let pending = config.maxPending ?? 64 * 1024 * 1024
            let size = try v.byteSize()
            guard size <= pending else {
                throw v.error("max_payload \(size) is above \(config.maxPending == nil ? "nats-server's default max_pending" : "max_pending") (\(pending) bytes), which nats-server refuses; allowed: 1 to \(pending) bytes, e.g. 1024, 512KB, 1MB")
            }
            config.maxPayload = size
        }
        config.users = try users(m["users"])
        if let v = m["users"], !references.accounts.isEmpty {
            throw v.error("the scenario's \"accounts\" put every server in operator mode, where users are JWT users; declare them under \"accounts\" (and give clients \"credentials\") instead of users with passwords")
        }
        if let v = m["cluster"] { config.cluster = try v.string(); try checkName(config.cluster!, v) }
        if let v = m["cluster_port"] {
            guard config.cluster != nil else { throw v.error("cluster_port needs \"cluster\": the name of the cluster this server joins") }
            config.clusterPort = try v.int()
        }
        config.lameDuckGracePeriod = try m["lame_duck_grace_period"]?.duration()
        if let v = m["lame_duck_duration"] {
            let d = try v.duration()
            guard d >= .seconds(30) else {
                throw v.error("nats-server does not accept a lame_duck_duration below 30s; use lame_duck_grace_period for fast tests")
            }
            config.lameDuckDuration = d
        }
        if let v = m["jetstream"] { config.jetStream = try jetStreamConfig(v) }
        return ServerSpec(
            name: name, host: "127.0.0.\(index + 1)",
            port: try m["port"]?.int() ?? 4222,
            monitorPort: try m["monitor_port"]?.int() ?? 8222,
            startAtBegin: try m["start"]?.bool() ?? true,
            version: try m["version"].map { v throws(ScenarioError) in
                let version = try v.serverVersion()
                guard version != ServerVersionPin.next else { throw v.error("a server starts on a version of its own; next is for a restart (restart: {server, version: next})") }
                return version
            },
            config: config)
    }

    func users(_ value: YAMLValue?) throws(ScenarioError) -> [User] { try references.users(value) }

    func checkPorts(_ servers: [ServerSpec], _ values: [YAMLValue]) throws(ScenarioError) {
        for (i, s) in servers.enumerated() where s.port == s.monitorPort {
            throw values[i].error("port and monitor_port are both \(s.port); give them different numbers")
        }
    }

    // MARK: clients

    func client(_ value: YAMLValue) throws(ScenarioError) -> ClientSpec {
        let m = try value.mapping(ScenarioKeys.client)
        let name = try m.required("name").string()
        try checkName(name, m.required("name"))
        if m["command"] != nil { return try application(m, name: name) }
        for key in ["env", "services"] where m[key] != nil {
            throw m[key]!.error("\"\(key)\" is for applications under test (clients with a \"command\")")
        }
        var driver: String?
        if let d = m["driver"] {
            let text = try d.string()
            guard shippedDrivers.contains(text) || drivers[text] != nil else {
                throw d.error("unknown driver \"\(text)\"; allowed: \(knownDrivers.joined(separator: ", ")), or one declared under \"drivers\"")
            }
            driver = text
        }
        let servers = try clientServers(m)
        var subscriptions: [Subscription] = []
        for entry in try m["subscribe"]?.list() ?? [] { subscriptions.append(try subscription(entry, withClient: false).0) }
        var replies: [Reply] = []
        for entry in try m["reply"]?.list() ?? [] { replies.append(try reply(entry, withClient: false).0) }
        var publishers: [Publish] = []
        for entry in try m["publish"]?.list() ?? [] { publishers.append(try publish(entry, withClient: false).0) }
        var requesters: [Request] = []
        for entry in try m["request"]?.list() ?? [] { requesters.append(try request(entry, withClient: false).0) }
        var requires = try (m["requires"]?.list() ?? []).map { v throws(ScenarioError) in try v.string() }
        let service = try m["service"].map { v throws(ScenarioError) in try self.service(v) }
        if service != nil, !requires.contains("service") { requires.append("service") }
        let options = try options(m["options"])
        var credentials: String?
        if let v = m["credentials"] {
            credentials = try references.jwtUser(v).name
            if let (key, _) = [("user", options.user), ("password", options.password), ("token", options.token)].first(where: { $0.1 != nil }) {
                throw v.error("a client authenticates with \"credentials\" or with options.\(key), not both")
            }
            if !requires.contains("credentials") { requires.append("credentials") }
        }
        var spec = ClientSpec(
            name: name, driver: driver, servers: servers, options: options,
            connectAtBegin: try m["connect"]?.bool() ?? true,
            link: try m["link"]?.oneOf(LinkMode.self) ?? .proxy,
            requires: requires,
            subscriptions: subscriptions, replies: replies, publishers: publishers, requesters: requesters, service: service)
        spec.credentials = credentials
        return spec
    }

    /// A client's `servers`: names of declared servers, at least one (default: every server, in file order).
    func clientServers(_ m: YAMLMapping) throws(ScenarioError) -> [String] {
        guard let list = m["servers"] else { return serverNames }
        var servers: [String] = []
        for entry in try list.list() { servers.append(try serverReference(entry)) }
        guard !servers.isEmpty else { throw list.error("needs at least one server name") }
        return servers
    }

    /// An application under test: any program, started with `NATS_URL` pointing at its link.
    func application(_ m: YAMLMapping, name: String) throws(ScenarioError) -> ClientSpec {
        let allowed = ScenarioKeys.applicationKeys
        if let key = m.keys.first(where: { !allowed.contains($0) }) {
            throw m[key]!.error("\"\(key)\" is for clients driven through a driver; an application (a client with \"command\") takes \(allowed.joined(separator: ", "))")
        }
        let words = try m.required("command").string().split(separator: " ").map(String.init)
        guard !words.isEmpty else { throw try m.required("command").error("expected the program to run, then its arguments separated by spaces") }
        var environment: [String: String] = [:]
        if let env = m["env"] {
            for (key, value) in try env.names("environment variables").entries {
                guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !["NATS_URL", "NATS_URLS", "NATS_CLIENT_NAME"].contains(key) else {
                    throw value.error("\"\(key)\" cannot be set here: use letters, digits and _, and leave NATS_URL, NATS_URLS and NATS_CLIENT_NAME to natsfault")
                }
                environment[key] = try value.string()
            }
        }
        var services: [String] = []
        for entry in try m["services"]?.list() ?? [] {
            let service = try entry.string()
            try checkName(service, entry)
            services.append(service)
        }
        let servers = try clientServers(m)
        return ClientSpec(name: name, driver: nil, servers: servers, options: ConnectOptions(), connectAtBegin: true,
                          link: try m["link"]?.oneOf(LinkMode.self) ?? .proxy, requires: [],
                          subscriptions: [], replies: [], publishers: [], requesters: [],
                          command: words, environment: environment, services: services)
    }

    /// A client's `service:` (ADR-32): a name, a version, and endpoints given as subjects or as `{name, subject, queue}`.
    func service(_ value: YAMLValue) throws(ScenarioError) -> ServiceSpec {
        let m = try value.mapping(ScenarioKeys.service)
        let name = try m.required("name").string()
        try checkName(name, m.required("name"))
        let version = try m["version"]?.string() ?? "1.0.0"
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            throw m["version"]!.error("\"\(version)\" is not a semantic version; ADR-32 services need MAJOR.MINOR.PATCH, e.g. 1.0.0")
        }
        let list = try m.required("endpoints").list()
        guard !list.isEmpty else { throw try m.required("endpoints").error("needs at least one endpoint") }
        var endpoints: [ServiceEndpoint] = []
        for entry in list {
            if case .scalar = entry.node {
                let subject = try subjectText(entry)
                endpoints.append(ServiceEndpoint(name: subject.replacingOccurrences(of: ".", with: "_"), subject: subject, queue: nil))
                continue
            }
            let e = try entry.mapping(ScenarioKeys.endpoint)
            let subject = try subjectText(e.required("subject"))
            let endpointName = try e["name"]?.string() ?? subject.replacingOccurrences(of: ".", with: "_")
            if let v = e["name"] { try checkName(endpointName, v) }
            endpoints.append(ServiceEndpoint(name: endpointName, subject: subject, queue: try e["queue"]?.string()))
        }
        return ServiceSpec(name: name, version: version, endpoints: endpoints)
    }

    func options(_ value: YAMLValue?) throws(ScenarioError) -> ConnectOptions {
        var o = ConnectOptions()
        guard let value else { return o }
        let m = try value.mapping(ScenarioKeys.options)
        o.allowReconnect = try m["allow_reconnect"]?.bool()
        o.maxReconnects = try m["max_reconnects"]?.int()
        o.reconnectWait = try m["reconnect_wait"]?.duration()
        o.reconnectJitter = try m["reconnect_jitter"]?.duration()
        o.reconnectBufferBytes = try m["reconnect_buffer_bytes"]?.int()
        o.pingInterval = try m["ping_interval"]?.duration()
        o.maxPingsOut = try m["max_pings_out"]?.int()
        o.connectTimeout = try m["connect_timeout"]?.duration()
        o.retryOnFailedConnect = try m["retry_on_failed_connect"]?.bool()
        o.noRandomize = try m["no_randomize"]?.bool()
        o.ignoreDiscoveredServers = try m["ignore_discovered_servers"]?.bool()
        o.user = try m["user"]?.string()
        o.password = try m["password"]?.string()
        o.token = try m["token"]?.string()
        o.drainTimeout = try m["drain_timeout"]?.duration()
        return o
    }

    /// A subscription, written as a subject or as a mapping; with `withClient`, the mapping names its client.
    func subscription(_ value: YAMLValue, withClient: Bool) throws(ScenarioError) -> (Subscription, String?) {
        if !withClient, case .scalar = value.node {
            let subject = try subjectText(value)
            return (Subscription(subject: subject, queue: nil, name: subject), nil)
        }
        let m = try value.mapping(withClient ? ScenarioKeys.subscribeStep : ScenarioKeys.subscription)
        let subject = try subjectText(m.required("subject"))
        let client = withClient ? try clientReference(m.required("client")) : nil
        return (Subscription(subject: subject, queue: try m["queue"]?.string(), name: try m["name"]?.string() ?? subject), client)
    }

    func reply(_ value: YAMLValue, withClient: Bool) throws(ScenarioError) -> (Reply, String?) {
        if !withClient, case .scalar = value.node { return (Reply(subject: try subjectText(value), queue: nil), nil) }
        let m = try value.mapping(withClient ? ScenarioKeys.replyStep : ScenarioKeys.responder)
        let client = withClient ? try clientReference(m.required("client")) : nil
        return (Reply(subject: try subjectText(m.required("subject")), queue: try m["queue"]?.string()), client)
    }

    func publish(_ value: YAMLValue, withClient: Bool) throws(ScenarioError) -> (Publish, String?) {
        let m = try value.mapping(withClient ? ScenarioKeys.publishStep : ScenarioKeys.publisher)
        let client = withClient ? try clientReference(m.required("client")) : nil
        let subject = try subjectText(m.required("subject"))
        let p = Publish(
            subject: subject, stream: try streamName(m["stream"]) ?? subject,
            count: try m.required("count").int(),
            ratePerSecond: try m["rate"]?.positiveNumber(),
            payloadBytes: try m["payload_bytes"]?.int())
        return (p, client)
    }

    func request(_ value: YAMLValue, withClient: Bool) throws(ScenarioError) -> (Request, String?) {
        let m = try value.mapping(withClient ? ScenarioKeys.requestStep : ScenarioKeys.requester)
        let client = withClient ? try clientReference(m.required("client")) : nil
        let subject = try subjectText(m.required("subject"))
        let r = Request(
            subject: subject, stream: try streamName(m["stream"]) ?? subject,
            count: try m["count"]?.int() ?? 1,
            timeout: try m.required("timeout").duration(),
            interval: try m["interval"]?.duration())
        return (r, client)
    }

    // MARK: timeline

    mutating func step(_ value: YAMLValue, earlierIDs: [String]) throws(ScenarioError) -> Step {
        let kind = ScenarioKeys.step
        let actions = kind.exactlyOne
        let m = try value.mapping(kind)
        let actionKeys = m.keys.filter { actions.contains($0) }
        guard actionKeys.count == 1, let key = actionKeys.first, let body = m[key] else {
            throw value.error(actionKeys.isEmpty
                ? "a step needs one action; allowed: \(actions.joined(separator: ", "))"
                : "a step has one action, found \(actionKeys.joined(separator: " and ")); split them into separate steps")
        }
        var timing = Step.Timing.afterPrevious(.zero)
        if let at = m["at"] {
            guard m["after"] == nil else { throw at.error("a step has \"at\" or \"after\", not both") }
            timing = .at(try at.duration())
        } else if let after = m["after"] {
            timing = .afterPrevious(try after.duration())
        }
        var id: String?
        if let v = m["id"] { id = try v.string(); try checkName(id!, v) }
        let action = try action(key, body, earlierIDs: earlierIDs)
        if case .client(_, let name) = action, clients.first(where: { $0.name == name })?.isApplication == true {
            let faults = FaultCatalog.faults(of: .client).map { $0.name }
            throw body.error("client \(name) is an application (command); the actions for it are \(faults.dropLast().joined(separator: ", ")) and \(faults.last!)")
        }
        var step = Step(id: id, timing: timing, action: action, location: value.location)
        if let v = m["drivers"] {
            guard action.judges else { throw v.error("\"drivers\" limits a check to some client libraries; this step checks nothing (put it on an expect, expect_absent, any_of, expect_server, probe_service or probe with within)") }
            step.drivers = try driverNames(v)
        }
        return step
    }

    /// Driver (client library) names: shipped ones or ones the file declares.
    func driverNames(_ value: YAMLValue) throws(ScenarioError) -> [String] {
        let items: [YAMLValue] = if case .sequence = value.node { try value.list() } else { [value] }
        guard !items.isEmpty else { throw value.error("name at least one driver; allowed: \(knownDrivers.joined(separator: ", "))") }
        var names: [String] = []
        for item in items {
            let name = try item.string()
            guard knownDrivers.contains(name) else {
                throw item.error("unknown driver \"\(name)\"; allowed: \(knownDrivers.joined(separator: ", ")), or one declared under \"drivers\"")
            }
            guard !names.contains(name) else { throw item.error("driver \(name) is listed twice") }
            names.append(name)
        }
        return names
    }

    var knownDrivers: [String] { shippedDrivers + drivers.keys.sorted().filter { !shippedDrivers.contains($0) } }

    /// `only: {drivers: [...], reason: "..."}`.
    func libraryScope(_ value: YAMLValue) throws(ScenarioError) -> LibraryScope {
        let m = try value.mapping(ScenarioKeys.only)
        let reason = try m.required("reason").string()
        guard !reason.isEmpty else { throw try m.required("reason").error("say in one line why the scenario is only for these libraries") }
        return LibraryScope(drivers: try driverNames(m.required("drivers")), reason: reason)
    }

    /// `known_differences:` entries, each naming a check of this scenario.
    func knownDifferences(_ value: YAMLValue?, scenario: Scenario) throws(ScenarioError) -> [KnownDifference] {
        guard let value else { return [] }
        var found: [KnownDifference] = []
        for entry in try value.list() {
            let m = try entry.mapping(ScenarioKeys.knownDifference)
            let target: KnownDifference.Target
            switch (m["step"], m["assert"]) {
            case (let v?, nil):
                let id = try v.string()
                guard let step = scenario.steps.first(where: { $0.id == id }) else {
                    let ids = scenario.steps.compactMap(\.id)
                    throw v.error("no step has id \"\(id)\"; allowed: \(ids.isEmpty ? "(give the step an id)" : ids.joined(separator: ", "))")
                }
                guard step.action.judges else { throw v.error("step \(id) checks nothing; a known difference names an expect, expect_absent, any_of, expect_server, probe_service or probe with within") }
                target = .step(id)
            case (nil, let v?):
                guard !scenario.assertions.isEmpty else { throw v.error("the scenario has no assertions (\"assert\")") }
                target = .assertion(try v.int(0...(scenario.assertions.count - 1), what: "an assertion's index in \"assert\" (the first is 0)"))
            default:
                throw entry.error("a known difference names the check it affects: \"step: ID\" (a timeline step's id) or \"assert: N\" (an assertion's index, from 0), one of them")
            }
            var versions: [VersionConstraint] = []
            if let v = m["library_versions"] {
                for part in try v.string().split(separator: ",") {
                    guard let c = VersionConstraint(String(part)) else {
                        throw v.error("\"\(part.trimmed)\" is not a version bound; write e.g. \">=2.6, <3\" (operators >=, <=, >, <, =)")
                    }
                    versions.append(c)
                }
            }
            let finding = try m.required("finding").string()
            guard finding.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !finding.isEmpty else {
                throw try m.required("finding").error("\"\(finding)\" is not a finding id; use the id docs/client-differences.md gives it, e.g. F1")
            }
            var observed: String?
            if let v = m["observed"] {
                let text = try v.string()
                guard (try? Regex(text)) != nil else { throw v.error("\"\(text)\" is not a regular expression") }
                observed = text
            }
            let drivers = try driverNames(m.required("drivers"))
            if let only = scenario.only, let outside = drivers.first(where: { !only.drivers.contains($0) }) {
                throw try m.required("drivers").error("the scenario runs only on \(only.drivers.joined(separator: ", ")) (\"only\"); driver \(outside) never runs it")
            }
            let difference = KnownDifference(drivers: drivers, libraryVersions: versions, check: target, finding: finding,
                                             reason: try m.required("reason").string(), observed: observed)
            if let twice = found.first(where: { $0.check == target && !Set($0.drivers).isDisjoint(with: drivers) }) {
                throw entry.error("\(target) already has a known difference (\(twice.finding)) for \(Set(twice.drivers).intersection(drivers).sorted().joined(separator: ", ")); one per check and driver")
            }
            found.append(difference)
        }
        return found
    }

    mutating func action(_ key: String, _ body: YAMLValue, earlierIDs: [String]) throws(ScenarioError) -> Action {
        if let fault = FaultCatalog.step(named: key) {
            return .fault(AnyFault(try fault.parse(FaultInput(body: body, references: references))))
        }
        switch key {
        case "connect": return .client(.connect, client: try clientReference(body))
        case "drain": return .client(.drain, client: try clientReference(body))
        case "close": return .client(.close, client: try clientReference(body))
        case "flush":
            if case .scalar = body.node { return .client(.flush(timeout: .seconds(5)), client: try clientReference(body)) }
            let m = try body.mapping(ScenarioKeys.flush)
            return .client(.flush(timeout: try m["timeout"]?.duration() ?? .seconds(5)), client: try clientReference(m.required("client")))
        case "subscribe":
            let (s, c) = try subscription(body, withClient: true)
            return .client(.subscribe(s), client: c!)
        case "reply":
            let (r, c) = try reply(body, withClient: true)
            return .client(.reply(r), client: c!)
        case "publish":
            let (p, c) = try publish(body, withClient: true)
            return .client(.publish(p), client: c!)
        case "request":
            let (r, c) = try request(body, withClient: true)
            return .client(.request(r), client: c!)
        case "js_publish": return try jsPublish(body)
        case "js_consume": return try jsConsume(body)
        case "js_stop": return try jsStop(body)
        case "wait": return .wait(try body.duration())
        case "proxy": return .fault(AnyFault(try linkFault(body)))
        case "expect_server":
            let m = try body.mapping(ScenarioKeys.expectServer)
            let kinds = m.keys.filter { ScenarioKeys.expectServer.exactlyOne.contains($0) }
            guard kinds.count == 1, let kind = kinds.first, let v = m[kind] else {
                throw body.error("a server expectation checks one of closed, open, varz, routes; found \(kinds.isEmpty ? "none" : kinds.joined(separator: " and "))")
            }
            let server = try serverReference(m.required("server"))
            let condition: ServerExpectation.Condition
            switch kind {
            case "closed":
                let c = try v.mapping(ScenarioKeys.closedCheck)
                condition = .closed(client: try c["client"].map { x throws(ScenarioError) in try clientReference(x) }, reason: try c.required("reason").string())
            case "routes":
                let c = try v.mapping(ScenarioKeys.routesCheck)
                var peer: String?
                if let to = c["to"] {
                    peer = try serverReference(to)
                    let cluster = servers.first { $0.name == server }?.config.cluster
                    guard cluster != nil, peer != server, servers.first(where: { $0.name == peer })?.config.cluster == cluster else {
                        throw to.error("server \(peer!) is not a cluster peer of server \(server)")
                    }
                }
                condition = .routes(peer: peer, count: try countRange(c, default: .atLeastOne))
            case "open":
                let c = try v.mapping(ScenarioKeys.openCheck)
                condition = .open(client: try c["client"].map { x throws(ScenarioError) in try clientReference(x) }, count: try countRange(c, default: .atLeastOne))
            default:
                let c = try v.mapping(ScenarioKeys.varzCheck)
                let field = try c.required("field").string()
                guard field.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw try c.required("field").error("\"\(field)\" is not a /varz field name, e.g. slow_consumers, connections, total_connections")
                }
                condition = .varz(field: field, count: try countRange(c, default: .atLeastOne))
            }
            return .expectServer(ServerExpectation(server: server, condition: condition, within: try m.required("within").duration()))
        case "probe":
            let m = try body.mapping(ScenarioKeys.probe)
            let subject = try subjectText(m.required("subject"))
            if let within = m["within"], let count = m["count"] {
                _ = within
                throw count.error("a probe with \"within\" asks until one request is answered; give \"count\" or \"within\", not both")
            }
            return .probe(ProbeRequests(
                subject: subject, server: try m["server"].map { v throws(ScenarioError) in try serverReference(v) } ?? serverNames[0],
                stream: try streamName(m["stream"]) ?? subject, count: try m["count"]?.int() ?? 1,
                timeout: try m["timeout"]?.duration() ?? (m["within"] != nil ? .milliseconds(500) : .seconds(1)), interval: try m["interval"]?.duration(),
                payloadBytes: try m["payload_bytes"]?.int(),
                within: try m["within"]?.duration()))
        case "probe_service":
            let m = try body.mapping(ScenarioKeys.probeService)
            let serviceValue = try m.required("service")
            let service = try serviceValue.string()
            let declared = clients.compactMap { $0.service?.name } + clients.flatMap(\.services)
            guard declared.contains(service) else {
                throw serviceValue.error("no client runs a service named \"\(service)\"; allowed: \(declared.isEmpty ? "(none: give a client a \"service\")" : Array(Set(declared)).sorted().joined(separator: ", "))")
            }
            let probe = ServiceProbe(
                service: service, server: try m["server"].map { v throws(ScenarioError) in try serverReference(v) } ?? serverNames[0],
                within: try m.required("within").duration(),
                instances: try m["instances"].map { v throws(ScenarioError) in try countValue(v) },
                subjects: try m["subjects"].map { v throws(ScenarioError) in try v.list().map { x throws(ScenarioError) in try subjectText(x) } },
                requests: try m["requests"].map { v throws(ScenarioError) in try countValue(v) },
                errors: try m["errors"].map { v throws(ScenarioError) in try countValue(v) })
            guard probe.instances != nil || probe.subjects != nil || probe.requests != nil || probe.errors != nil else {
                throw body.error("a service probe checks something; allowed: instances, subjects, requests, errors")
            }
            return .probeService(probe)
        case "heal":
            let target = try body.string()
            if target == "all" {
                guard !healable.isEmpty else { throw body.error("no lasting fault is in effect here to heal; \"heal: all\" follows a firewall step, a proxy step with a lasting fault or a pause_client") }
                healable.removeAll()
                return .heal(.all)
            }
            guard let index = healable.firstIndex(where: { $0.id == target }) else {
                let named = healable.compactMap(\.id)
                throw body.error("no lasting fault in effect has id \"\(target)\"; allowed: \(healable.isEmpty ? "(none in effect here; do not heal a fault twice)" : (named + ["all"]).joined(separator: ", "))")
            }
            healable.remove(at: index)
            return .heal(.step(target))
        case "expect":
            let m = try body.mapping(ScenarioKeys.expect)
            var since: String?
            if let v = m["since"] {
                since = try v.string()
                guard earlierIDs.contains(since!) else {
                    throw v.error("no earlier step has id \"\(since!)\"; allowed: \(earlierIDs.isEmpty ? "(no step ids yet)" : earlierIDs.joined(separator: ", "))")
                }
            }
            let count = try countRange(m, default: .atLeastOne)
            return .expect(EventExpectation(
                match: try eventMatch(m), within: try m.required("within").duration(),
                notBefore: try m["not_before"]?.duration() ?? .zero, count: count, since: since))
        case "any_of":
            let items = try body.list()
            guard items.count >= 2 else {
                throw body.error(items.isEmpty ? "\"any_of\" needs at least two expectations to choose from; e.g. [{expect: {...}}, {expect: {...}}]"
                                               : "\"any_of\" with one expectation is that expectation; give at least two, or write it as its own step")
            }
            var alternatives: [Action] = []
            for item in items {
                let m = try item.mapping(ScenarioKeys.alternative)
                guard m.entries.count == 1, let (key, inner) = m.entries.first else {
                    throw item.error("each alternative is one expectation: {expect: {...}} or {expect_absent: {...}}")
                }
                alternatives.append(try action(key, inner, earlierIDs: earlierIDs))
            }
            return .anyOf(alternatives)
        case "expect_absent":
            let m = try body.mapping(ScenarioKeys.expectAbsent)
            return .expectAbsent(AbsenceExpectation(match: try eventMatch(m), duration: try m.required("for").duration()))
        default:
            throw body.error("unknown action \"\(key)\"")
        }
    }

    /// A `proxy:` step: the link fault `fault:` names, which reads the rest.
    func linkFault(_ body: YAMLValue) throws(ScenarioError) -> any LinkFault {
        guard case .mapping = body.node else { throw body.error("expected a proxy fault as a mapping, e.g. {fault: reset, client: app}") }
        let first = try body.mapping(ScenarioKeys.proxy)
        let name = try first.required("fault")
        guard let fault = FaultCatalog.linkFault(named: try name.string()) else {
            throw name.error("unknown proxy fault \"\(try name.string())\"; allowed: \(FaultCatalog.linkFaultNames.joined(separator: ", "))")
        }
        return try fault.parse(FaultInput(body: body, references: references))
    }

    func eventMatch(_ m: YAMLMapping) throws(ScenarioError) -> EventMatch {
        let event = try m.required("event").oneOf(ClientEventKind.self)
        let server = try m["server"].map { v throws(ScenarioError) in try serverReference(v) }
        if let v = m["server"], ![.connected, .reconnected].contains(event) {
            throw v.error("only connected and reconnected events name a server; remove \"server\" or match one of those")
        }
        let client = try clientReference(m.required("client"))
        if clients.first(where: { $0.name == client })?.isApplication == true, ![.output, .exited, .serverErr].contains(event) {
            throw try m.required("event").error("client \(client) is an application (command); its events are output, exited and server_err (check its connection with expect_server, its subjects with probe)")
        }
        var pattern: String?
        if let v = m["matches"] {
            let text = try v.string()
            guard (try? Regex(text)) != nil else { throw v.error("\"\(text)\" is not a regular expression") }
            pattern = text
        }
        var wireError: String?
        if let v = m["wire_error"] {
            wireError = try v.string()
            if [.connected, .reconnected, .serverErr].contains(event) {
                throw v.error("\(event.rawValue) events never carry a wire_error; allowed with: \(ClientEventKind.allCases.filter { ![.connected, .reconnected, .serverErr].contains($0) }.map(\.rawValue).joined(separator: ", ")) (for the -ERR itself, match server_err with \"error\")")
            }
            if clients.first(where: { $0.name == client })?.link == .direct {
                throw v.error("client \"\(client)\" connects directly; only the events of clients with \"link: proxy\" (the default) carry the -ERR the proxy saw on their link")
            }
        }
        return EventMatch(
            client: client,
            event: event,
            error: try m["error"]?.oneOf(ErrorKind.self),
            server: server, serverURL: server.flatMap { references.url(of: $0, for: client) }, pattern: pattern, wireError: wireError)
    }

    /// `count: N`, or `min:` and/or `max:`, in the mapping itself.
    func countRange(_ m: YAMLMapping, default fallback: CountRange) throws(ScenarioError) -> CountRange {
        if let c = m["count"] {
            if let other = m["min"] ?? m["max"] { throw other.error("give \"count\" or \"min\"/\"max\", not both") }
            return .exactly(try c.int())
        }
        guard m["min"] != nil || m["max"] != nil else { return fallback }
        let range = CountRange(min: try m["min"]?.int() ?? 0, max: try m["max"]?.int())
        if let max = range.max, max < range.min, let v = m["max"] { throw v.error("max \(max) is below min \(range.min)") }
        return range
    }

    /// A count written as `N` (exactly) or as a mapping `{min: A, max: B}`.
    func countValue(_ value: YAMLValue) throws(ScenarioError) -> CountRange {
        if case .scalar = value.node { return .exactly(try value.int(0...Int.max)) }
        let m = try value.mapping(ScenarioKeys.count)
        return try countRange(m, default: CountRange(min: 0, max: nil))
    }

    // MARK: assertions

    /// An assertion and the drivers it is limited to (`drivers:` beside it).
    func assertion(_ value: YAMLValue) throws(ScenarioError) -> (Assertion, [String]?) {
        let kinds = ScenarioKeys.assertion.exactlyOne
        let outer = try value.mapping(ScenarioKeys.assertion)
        let present = outer.entries.filter { kinds.contains($0.0) }
        guard present.count == 1, let (key, body) = present.first else {
            throw value.error("an assertion has exactly one kind; allowed: \(kinds.joined(separator: ", ")) (and \"drivers\" beside it)")
        }
        return (try assertion(key, body), try outer["drivers"].map { v throws(ScenarioError) in try driverNames(v) })
    }

    func assertion(_ key: String, _ body: YAMLValue) throws(ScenarioError) -> Assertion {
        switch key {
        case "events":
            let m = try body.mapping(ScenarioKeys.events)
            return .events(try eventMatch(m), try countRange(m, default: .atLeastOne))
        case "order":
            let m = try body.mapping(ScenarioKeys.order)
            var events: [ClientEventKind] = []
            for e in try m.required("events").list() { events.append(try e.oneOf(ClientEventKind.self)) }
            guard events.count >= 2 else { throw try m.required("events").error("an order needs at least two events") }
            return .order(client: try clientReference(m.required("client")), events: events)
        case "messages":
            let m = try body.mapping(ScenarioKeys.messages)
            let stream = try m.required("stream").string()
            return .messages(MessageAccounting(
                stream: stream, client: try clientReference(m.required("client")),
                subscription: try m["sub"]?.string() ?? "",
                received: try m["received"].map { v throws(ScenarioError) in try countValue(v) },
                maxLost: try m["max_lost"]?.int(),
                maxDuplicated: try m["max_duplicated"]?.int(),
                maxReordered: try m["max_reordered"]?.int(),
                lostOnlyDuringOutage: try m["lost_only_during_outage"]?.bool() ?? false))
        case "publishes":
            let m = try body.mapping(ScenarioKeys.publishes)
            var outcomes = PublishOutcomes(
                stream: try m.required("stream").string(),
                ok: try m["ok"].map { v throws(ScenarioError) in try countValue(v) },
                failed: try m["failed"].map { v throws(ScenarioError) in try countValue(v) },
                failedError: try m["error"]?.oneOf(ErrorKind.self))
            outcomes.bySeq = try seqOutcomes(m["by_seq"], requests: false)
            return .publishes(outcomes)
        case "requests":
            let outcomeKeys = ["ok"] + ErrorKind.allCases.map(\.rawValue)
            let m = try body.mapping(ScenarioKeys.requests)
            var outcomes: [String: CountRange] = [:]
            for (k, v) in m.entries where outcomeKeys.contains(k) { outcomes[k] = try countValue(v) }
            var requests = RequestOutcomes(stream: try m.required("stream").string(), outcomes: outcomes, p99Below: try m["p99_below"]?.duration(),
                                           eachBelow: try m["each_below"]?.duration())
            requests.bySeq = try seqOutcomes(m["by_seq"], requests: true)
            return .requests(requests)
        case "jetstream":
            return try jetStreamAssertion(body)
        default:
            throw body.error("unknown assertion \"\(key)\"")
        }
    }

    /// `by_seq:` entries: `{seq: 3 | seqs: 1-2, outcome: ok | failed | <error kind>, error, fails_within | answers_within}`.
    func seqOutcomes(_ value: YAMLValue?, requests: Bool) throws(ScenarioError) -> [SeqOutcome] {
        guard let value else { return [] }
        let list = try value.list()
        guard !list.isEmpty else { throw value.error("name at least one message, e.g. [{seq: 3, outcome: failed}]") }
        var found: [SeqOutcome] = []
        for entry in list {
            let m = try entry.mapping(requests ? ScenarioKeys.requestBySeq : ScenarioKeys.publishBySeq)
            let seqs: ClosedRange<Int>
            switch (m["seq"], m["seqs"]) {
            case (let v?, nil):
                let n = try v.int()
                seqs = n...n
            case (nil, let v?):
                let text = try v.string()
                let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmed) }
                guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 1, a <= b else {
                    throw v.error("\"\(text)\" is not a range of sequence numbers; write FIRST-LAST, e.g. 1-2 (the first message is 1)")
                }
                seqs = a...b
            default:
                throw entry.error("a by_seq entry names its messages with \"seq: N\" or \"seqs: FIRST-LAST\", one of them")
            }
            let outcomeValue = try m.required("outcome")
            let word = try outcomeValue.string()
            var outcome: SeqOutcome.Outcome
            switch word {
            case "ok": outcome = .ok
            case "failed": outcome = .failed(nil)
            default:
                guard let kind = ErrorKind(rawValue: word) else {
                    throw outcomeValue.error("unknown outcome \"\(word)\"; allowed: ok, failed, or an error kind (\(ErrorKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                outcome = .failed(kind)
            }
            if let v = m["error"] {
                guard case .failed(nil) = outcome else { throw v.error("\"error\" goes with outcome: failed (an outcome that names an error kind already has one)") }
                outcome = .failed(try v.oneOf(ErrorKind.self))
            }
            var within: Duration?
            if let v = m["fails_within"] {
                guard case .failed = outcome else { throw v.error("\"fails_within\" bounds a failure; with outcome ok use \(requests ? "\"answers_within\"" : "nothing (a publish that succeeds has no reply to wait for)")") }
                within = try v.duration()
            }
            if let v = m["answers_within"] {
                guard case .ok = outcome else { throw v.error("\"answers_within\" bounds a reply; with a failure outcome use \"fails_within\"") }
                within = try v.duration()
            }
            if let overlap = found.first(where: { $0.seqs.overlaps(seqs) }) {
                throw entry.error("message \(Swift.max(overlap.seqs.lowerBound, seqs.lowerBound)) is already named by an earlier by_seq entry; name each message once")
            }
            found.append(SeqOutcome(seqs: seqs, outcome: outcome, within: within))
        }
        return found
    }

    // MARK: references

    func serverReference(_ value: YAMLValue) throws(ScenarioError) -> String { try references.server(value) }

    func clientReference(_ value: YAMLValue) throws(ScenarioError) -> String { try references.client(value) }

    func subjectText(_ value: YAMLValue) throws(ScenarioError) -> String {
        let s = try value.string()
        guard !s.contains(where: { $0.isWhitespace }), !s.hasPrefix("."), !s.hasSuffix("."), !s.contains("..") else {
            throw value.error("\"\(s)\" is not a NATS subject; tokens separated by dots, no spaces, e.g. orders.created")
        }
        return s
    }

    /// Stream names travel in message payloads (`"<seq> <stream>"`), so they are single tokens.
    func streamName(_ value: YAMLValue?) throws(ScenarioError) -> String? {
        guard let value else { return nil }
        let name = try value.string()
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !name.hasSuffix(".") else {
            throw value.error("\"\(name)\" is not a valid stream name; use letters, digits, -, _ and inner dots")
        }
        return name
    }

    func checkName(_ name: String, _ value: YAMLValue) throws(ScenarioError) {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw value.error("\"\(name)\" is not a valid name; use letters, digits, - and _")
        }
    }

    /// Streams named by assertions must be published somewhere, subscriptions must exist.
    func checkStreams(_ scenario: Scenario, _ top: YAMLMapping) throws(ScenarioError) {
        var published: Set<String> = []
        var requested: Set<String> = []
        // Each stream has one publisher or requester: two would count as each other's duplicates.
        func claim(_ stream: String, _ set: inout Set<String>, at location: SourceLocation) throws(ScenarioError) {
            guard set.insert(stream).inserted else {
                throw ScenarioError(location, "stream \"\(stream)\" is used by two publishers or requesters; give each its own \"stream\" name")
            }
        }
        var subscriptions: [String: [String]] = [:]
        var jsPublished: Set<String> = []
        // How many messages or requests each stream has, for `by_seq`.
        var counts: [String: Int] = [:]
        let clientValues = (try? top["clients"]?.list()) ?? []
        for (c, value) in zip(scenario.clients, clientValues) {
            subscriptions[c.name] = c.subscriptions.map(\.name)
            for p in c.publishers { try claim(p.stream, &published, at: value.location); counts[p.stream] = p.count }
            for r in c.requesters { try claim(r.stream, &requested, at: value.location); counts[r.stream] = r.count }
        }
        for step in scenario.steps {
            if case .probe(let p) = step.action { try claim(p.stream, &requested, at: step.location); counts[p.stream] = p.within == nil ? p.count : nil }
            guard case .client(let action, let client) = step.action else { continue }
            switch action {
            case .publish(let p): try claim(p.stream, &published, at: step.location); counts[p.stream] = p.count
            case .jsPublish(let p): try claim(p.stream, &published, at: step.location); counts[p.stream] = p.count; jsPublished.insert(p.stream)
            case .request(let r): try claim(r.stream, &requested, at: step.location); counts[r.stream] = r.count
            case .subscribe(let s): subscriptions[client, default: []].append(s.name)
            default: break
            }
        }
        let values = (try? top["assert"]?.list()) ?? []
        for (assertion, value) in zip(scenario.assertions, values) {
            switch assertion {
            case .messages(let a):
                guard published.contains(a.stream) else { throw value.error("no publisher has stream \"\(a.stream)\"; allowed: \(listing(published))") }
                let subs = subscriptions[a.client] ?? []
                guard a.subscription.isEmpty || subs.contains(a.subscription) else {
                    throw value.error("client \"\(a.client)\" has no subscription named \"\(a.subscription)\"; allowed: \(subs.joined(separator: ", "))")
                }
                guard !subs.isEmpty else { throw value.error("client \"\(a.client)\" subscribes to nothing; add a subscription to it") }
            case .publishes(let a):
                guard published.contains(a.stream) else { throw value.error("no publisher has stream \"\(a.stream)\"; allowed: \(listing(published))") }
                try checkSeqs(a.bySeq, stream: a.stream, count: counts[a.stream], value)
            case .requests(let a):
                guard requested.contains(a.stream) else { throw value.error("no requester or probe has stream \"\(a.stream)\"; allowed: \(listing(requested))") }
                try checkSeqs(a.bySeq, stream: a.stream, count: counts[a.stream], value)
            case .jetstream(let a):
                guard jsPublished.contains(a.stream) else { throw value.error("no js_publish has stream \"\(a.stream)\"; allowed: \(listing(jsPublished))") }
            default: break
            }
        }
    }
}

/// A `by_seq` entry may name only messages its stream sends.
private func checkSeqs(_ entries: [SeqOutcome], stream: String, count: Int?, _ value: YAMLValue) throws(ScenarioError) {
    guard let count, let index = entries.firstIndex(where: { $0.seqs.upperBound > count }) else { return }
    let beyond = entries[index]
    // The place of the entry: assert[N] → its kind → by_seq → the entry.
    let kind = (try? value.names(""))?.entries.first { $0.0 != "drivers" }?.1
    let entry = (try? kind?.names(""))?["by_seq"].flatMap { try? $0.list() }.flatMap { index < $0.count ? $0[index] : nil }
    throw (entry ?? value).error("by_seq names message \(beyond.seqs.upperBound) of stream \"\(stream)\", which sends \(count); allowed: 1-\(count)")
}

/// `a, b, c`, or a note that there is nothing to choose from.
private func listing(_ names: Set<String>) -> String {
    names.isEmpty ? "(nothing is published or requested yet)" : names.sorted().joined(separator: ", ")
}

extension Substring {
    fileprivate var trimmed: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, with new: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + new : self
    }
}
