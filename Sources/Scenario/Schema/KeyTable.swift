/// One kind of mapping a scenario file holds (a server, a client, a timeline step, a fault's keys, …): the keys it
/// takes, each with its value, whether it must be given, and what it means.
///
/// The parser checks a mapping's keys against its kind and reads each value the way the kind says; the JSON Schema
/// of scenario files (`natsfault schema`) is written from the same kinds, so the two cannot disagree about a key.
public struct MappingKind: Sendable {
    /// The name of its definition in the JSON Schema (`$defs/<id>`).
    public let id: String
    /// How errors name it: "a server", "connect options".
    public let what: String
    public let keys: [ScenarioKey]
    /// Keys of which exactly one must be given (a step's action, an assertion's kind).
    public var exactlyOne: [String] = []
    /// Keys that exclude each other, in groups (`at` and `after`).
    public var exclusive: [[String]] = []
    /// Keys that need another key beside them (`cluster_port` needs `cluster`).
    public var needs: [String: String] = [:]
    /// With this key given, only these keys (a client with `command` is an application under test).
    public var narrowedBy: (key: String, keys: [String])? = nil
    /// The kinds the value of one key chooses among (`fault:` of a `proxy:` step): `keys` is then every key of any
    /// of them, which the parser checks first, and each chosen kind is checked again on its own.
    public var variants: (key: String, kinds: [(value: String, kind: MappingKind)])? = nil

    public init(id: String, what: String, keys: [ScenarioKey], exactlyOne: [String] = [], exclusive: [[String]] = []) {
        self.id = id
        self.what = what
        self.keys = keys
        self.exactlyOne = exactlyOne
        self.exclusive = exclusive
    }

    /// The same kind with more rules for the schema.
    func with(needs: [String: String] = [:], narrowedBy: (key: String, keys: [String])? = nil) -> MappingKind {
        var kind = self
        kind.needs = needs
        kind.narrowedBy = narrowedBy
        return kind
    }

    public var names: [String] { keys.map(\.name) }

    public subscript(name: String) -> ScenarioKey? { keys.first { $0.name == name } }

    /// The same mapping written as a timeline step, which names its client first (`publish: {client, subject, …}`).
    func namingItsClient(id: String) -> MappingKind {
        MappingKind(id: id, what: what, keys: [.required("client", .name, "The client that acts.")] + keys, exactlyOne: exactlyOne, exclusive: exclusive)
    }
}

/// One key of a mapping kind.
public struct ScenarioKey: Sendable {
    public let name: String
    public let value: ValueKind
    public let required: Bool
    /// One line saying what the key means, for the schema's descriptions.
    public let summary: String

    public init(_ name: String, _ value: ValueKind, _ summary: String) {
        (self.name, self.value, self.required, self.summary) = (name, value, false, summary)
    }

    private init(name: String, value: ValueKind, required: Bool, summary: String) {
        (self.name, self.value, self.required, self.summary) = (name, value, required, summary)
    }

    /// A key the mapping must have.
    public static func required(_ name: String, _ value: ValueKind, _ summary: String) -> ScenarioKey {
        ScenarioKey(name: name, value: value, required: true, summary: summary)
    }
}

/// What a key's value is: how the parser reads it and what the schema allows.
public indirect enum ValueKind: Sendable {
    /// Any scalar, read as text (not empty, not null).
    case text
    /// A program, then its arguments, separated by spaces.
    case command
    /// Letters, digits, `-` and `_`: server, client, driver and service names, step ids.
    case name
    /// A NATS subject: tokens separated by single dots, no whitespace.
    case subject
    /// A stream name: letters, digits, `-`, `_` and inner dots.
    case stream
    /// A nats-server version prefix: whole numbers separated by dots.
    case versionPrefix
    /// The version a server runs: a version prefix, or `oldest` / `newest` of those installed.
    case serverVersion
    /// A regular expression.
    case pattern
    /// An RFC 3339 time in whole seconds.
    case time
    /// A plain whole number in the range; `what` names it in errors ("a byte count").
    case wholeNumber(ClosedRange<Int>, what: String)
    /// A size in bytes: a whole number, or one with `KB` or `MB`.
    case byteSize(ClosedRange<Int>)
    /// A plain number above zero.
    case positiveNumber
    case boolean
    case duration(DurationFloor)
    /// One of fixed words; `what` names them in errors ("error kind").
    case choice([String], what: String)
    /// A count: `N`, or a mapping `{min, max}`.
    case count
    case list(ValueKind, atLeast: Int)
    /// A value, or a list of such values.
    case oneOrList(ValueKind)
    /// The first of these forms that fits (a name, or a mapping of keys).
    case either([ValueKind])
    case mapping(MappingKind)
    /// A mapping from names of the user's choosing to values (`drivers`, `env`); `keys` is the pattern of its keys.
    case names(to: ValueKind, keys: String)

    /// A whole number in the range, named "a whole number" in errors.
    public static func wholeNumber(_ range: ClosedRange<Int>) -> ValueKind { .wholeNumber(range, what: "a whole number") }

    /// A list of values, possibly empty.
    public static func list(_ element: ValueKind) -> ValueKind { .list(element, atLeast: 0) }

    /// One of the raw values of `E`.
    public static func choice<E: CaseIterable & RawRepresentable>(of _: E.Type, what: String) -> ValueKind where E.RawValue == String {
        .choice(E.allCases.map(\.rawValue), what: what)
    }
}

/// The least a duration may be.
public enum DurationFloor: Sendable {
    /// `0s` and more.
    case zero
    /// More than zero (a zero interval would spin).
    case positive
    /// At least 1ms: drivers receive whole milliseconds.
    case millisecond
}
