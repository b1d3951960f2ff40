import Foundation

/// The JSON Schema (draft 2020-12) of scenario files, written from the key table (`ScenarioKeys`) that the parser
/// checks keys and reads values by: editors validate and complete scenario files with it (docs/scenario.schema.json).
///
/// It says what the table says: keys, required keys, value kinds, ranges, units and words, which keys exclude each
/// other. What needs the rest of the file (a name refers to a declared server, a stream is published somewhere) and
/// the upper bounds of durations are the parser's alone: a file the schema accepts may still be refused by
/// `natsfault validate`, never the other way round.
public enum ScenarioSchema {
    /// The schema as a JSON document: keys in a fixed order, two-space indentation, a final line break.
    public static func document() -> String {
        var definitions = Definitions()
        var root: [(String, JSONValue)] = [
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("title", .string("natsfault scenario")),
            ("description", .string("A natsfault scenario file (docs/scenario-format.md). Written by `natsfault schema` from the parser's key table; do not edit.")),
        ]
        root += definitions.object(ScenarioKeys.scenario)
        root.append(("$defs", .object(definitions.written)))
        return JSONValue.object(root).rendered() + "\n"
    }

    /// Every mapping kind the schema defines, the scenario itself first: the kinds reachable from the file's top.
    public static func kinds() -> [MappingKind] {
        var definitions = Definitions()
        _ = definitions.object(ScenarioKeys.scenario)
        return [ScenarioKeys.scenario] + definitions.kinds
    }
}

/// The `$defs` of the schema, gathered as the kinds and value types are first referred to.
private struct Definitions {
    var written: [(String, JSONValue)] = []
    var kinds: [MappingKind] = []

    /// A reference to the definition `id`, writing it first with `body` when it is new.
    mutating func reference(_ id: String, _ body: (inout Definitions) -> JSONValue) -> JSONValue {
        if !written.contains(where: { $0.0 == id }) {
            written.append((id, .object([])))  // Holds the place, so that a kind refers to itself without recursing.
            let value = body(&self)
            written[written.firstIndex { $0.0 == id }!].1 = value
        }
        return .object([("$ref", .string("#/$defs/\(id)"))])
    }

    /// The members of the object schema of `kind`: its keys, which are required, and which exclude each other.
    mutating func object(_ kind: MappingKind) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("type", .string("object"))]
        // Keys only some variants take are described by those variants alone.
        let variantKeys = kind.variants?.kinds.map { Set($0.kind.names) } ?? []
        let chosen = variantKeys.reduce(into: Set<String>()) { $0.formUnion($1) }.subtracting(variantKeys.dropFirst().reduce(variantKeys.first ?? []) { $0.intersection($1) })
        var properties: [(String, JSONValue)] = []
        for key in kind.keys where !chosen.contains(key.name) {
            properties.append((key.name, described(value(key.value), key.summary)))
        }
        members.append(("properties", .object(properties)))
        let required = kind.keys.filter { $0.required && !chosen.contains($0.name) }.map(\.name)
        if !required.isEmpty { members.append(("required", .array(required.map(JSONValue.string)))) }
        if kind.variants == nil { members.append(("additionalProperties", .bool(false))) }
        if !kind.needs.isEmpty {
            members.append(("dependentRequired", .object(kind.keys.compactMap { key in kind.needs[key.name].map { (key.name, .array([.string($0)])) } })))
        }
        var rules: [JSONValue] = kind.exclusive.map { .object([("not", .object([("required", .array($0.map(JSONValue.string)))]))]) }
        if let (key, keys) = kind.narrowedBy {
            rules.append(.object([
                ("if", .object([("required", .array([.string(key)]))])),
                ("then", .object([("propertyNames", .object([("enum", .array(keys.map(JSONValue.string)))]))])),
            ]))
        }
        if let (key, variants) = kind.variants {
            for (value, variant) in variants {
                rules.append(.object([
                    ("if", .object([("properties", .object([(key, .object([("const", .string(value))]))])), ("required", .array([.string(key)]))])),
                    ("then", mapping(variant)),
                ]))
            }
        }
        if !rules.isEmpty { members.append(("allOf", .array(rules))) }
        if !kind.exactlyOne.isEmpty {
            members.append(("oneOf", .array(kind.exactlyOne.map { .object([("required", .array([.string($0)]))]) })))
        }
        return members
    }

    mutating func mapping(_ kind: MappingKind) -> JSONValue {
        if let known = kinds.first(where: { $0.id == kind.id }) { precondition(known.names == kind.names, "two kinds share the schema id \(kind.id)") }
        return reference(kind.id) { definitions in
            definitions.kinds.append(kind)
            return .object([("title", .string(kind.what))] + definitions.object(kind))
        }
    }

    /// The schema of a value of `kind`.
    mutating func value(_ kind: ValueKind) -> JSONValue {
        switch kind {
        case .text:
            return reference("text") { _ in .object([("type", Self.scalars), ("minLength", .int(1))]) }
        case .command:
            return reference("command") { _ in
                .object([("description", .string("A program, then its arguments, separated by spaces.")), ("type", Self.scalars), ("pattern", .string(#"\S"#))])
            }
        case .name:
            return reference("name") { _ in
                .object([("description", .string("Letters, digits, - and _.")), ("type", Self.scalars),
                         ("pattern", .string(ScenarioKeys.namePattern))])
            }
        case .subject:
            return reference("subject") { _ in
                .object([("description", .string("A NATS subject: tokens separated by single dots, no whitespace, e.g. orders.created.")),
                         ("type", Self.scalars), ("pattern", .string(#"^[^\s.]+(\.[^\s.]+)*$"#))])
            }
        case .stream:
            return reference("stream") { _ in
                .object([("description", .string("Letters, digits, -, _ and inner dots.")), ("type", Self.scalars),
                         ("pattern", .string(##"^[^\s!"#$%&'()*+,/:;<=>?@\[\\\]^`{|}~]*[^\s!"#$%&'()*+,./:;<=>?@\[\\\]^`{|}~]$"##))])
            }
        case .versionPrefix:
            return reference("version_prefix") { _ in
                .object([("description", .string("Whole numbers separated by dots, e.g. \"2.15\" or \"2.9.10\"; quote it, or YAML reads 2.10 as 2.1.")),
                         ("type", .array([.string("string"), .string("number")])), ("pattern", .string(#"^[0-9]+(\.[0-9]+)*$"#))])
            }
        case .serverVersion:
            return reference("server_version") { _ in
                .object([("description", .string("A version prefix such as \"2.15\" or \"2.9.10\" (quote it, or YAML reads 2.10 as 2.1), or oldest or newest of the installed versions; for a restart also next, the next installed version above the one it runs.")),
                         ("type", .array([.string("string"), .string("number")])), ("pattern", .string(#"^([0-9]+(\.[0-9]+)*|oldest|newest|next)$"#))])
            }
        case .pattern:
            return reference("regex") { _ in .object([("description", .string("A regular expression.")), ("type", Self.scalars), ("format", .string("regex"))]) }
        case .time:
            return reference("time") { _ in
                .object([("description", .string("An RFC 3339 time in whole seconds, e.g. \"2020-01-01T00:00:00Z\".")), ("type", .string("string")),
                         ("pattern", .string(#"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$"#))])
            }
        case .wholeNumber(let range, _):
            return .object([("type", .string("integer"))] + bounds(range))
        case .byteSize(let range):
            return .object([
                ("description", .string("A size in bytes: a whole number, or one with KB (× 1024) or MB (× 1024 × 1024), e.g. 1048576, 512KB, 10MB.")),
                ("anyOf", .array([.object([("type", .string("integer"))] + bounds(range)), .object([("type", .string("string")), ("pattern", .string("^[0-9]+(KB|MB)$"))])])),
            ])
        case .positiveNumber:
            return .object([("type", .string("number")), ("exclusiveMinimum", .int(0))])
        case .boolean:
            return .object([("type", .string("boolean"))])
        case .duration(let floor):
            return duration(floor)
        case .choice(let words, _):
            return .object([("enum", .array(words.map(JSONValue.string)))])
        case .count:
            return reference("count") { definitions in
                .object([
                    ("description", .string("A count: N (exactly N), or {min, max}.")),
                    ("anyOf", .array([.object([("type", .string("integer")), ("minimum", .int(0))]), definitions.mapping(ScenarioKeys.count)])),
                ])
            }
        case .list(let item, let atLeast):
            return .object([("type", .string("array")), ("items", value(item))] + (atLeast > 0 ? [("minItems", .int(atLeast))] : []))
        case .oneOrList(let item):
            let one = value(item)
            return .object([("anyOf", .array([one, .object([("type", .string("array")), ("items", one), ("minItems", .int(1))])]))])
        case .either(let forms):
            return .object([("anyOf", .array(forms.map { value($0) }))])
        case .mapping(let kind):
            return mapping(kind)
        case .names(let to, let keys):
            return .object([("type", .string("object")), ("propertyNames", .object([("pattern", .string(keys))])), ("additionalProperties", value(to))])
        }
    }

    /// Durations as `DurationText` reads them: numbers with units, no sign; a floor above zero excludes all-zero ones.
    mutating func duration(_ floor: DurationFloor) -> JSONValue {
        let part = #"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|ms|s|m|h)"#
        let zero = #"(0+\.?0*|\.0+)(ns|us|ms|s|m|h)"#
        switch floor {
        case .zero:
            return reference("duration") { _ in
                .object([("description", .string("A duration: a number with a unit (ns, us, ms, s, m, h), e.g. 250ms, 2s, 1m30s.")),
                         ("type", .string("string")), ("pattern", .string(#"^\s*("# + part + #")+\s*$"#))])
            }
        case .positive:
            return reference("positive_duration") { _ in
                .object([("description", .string("A duration above zero, e.g. 250ms, 2s, 1m30s.")),
                         ("type", .string("string")), ("pattern", .string(#"^(?!\s*("# + zero + #")+\s*$)\s*("# + part + #")+\s*$"#))])
            }
        case .millisecond:
            return reference("millisecond_duration") { definitions in
                .object([("description", .string("A duration of at least 1ms (drivers take whole milliseconds), e.g. 250ms, 2s.")),
                         ("allOf", .array([definitions.duration(.positive)]))])
            }
        }
    }

    private func bounds(_ range: ClosedRange<Int>) -> [(String, JSONValue)] {
        [("minimum", .int(range.lowerBound))] + (range.upperBound == Int.max ? [] : [("maximum", .int(range.upperBound))])
    }

    /// Text, names, subjects and patterns are any scalar: YAML reads `5` and `true` as a number and a boolean, which the
    /// parser takes as their text (a pattern then checks only what YAML reads as a string).
    private static let scalars: JSONValue = .array([.string("string"), .string("number"), .string("boolean")])

    private func described(_ schema: JSONValue, _ summary: String) -> JSONValue {
        guard case .object(let members) = schema else { return schema }
        return .object([("description", .string(summary))] + members.filter { $0.0 != "description" })
    }
}

/// A JSON value whose objects keep their members in the order given.
enum JSONValue {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSONValue])
    indirect case object([(String, JSONValue)])

    /// The value as JSON text, two spaces per level; empty objects and arrays on one line.
    func rendered(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .string(let s): return Self.quoted(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { inner + $0.rendered(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            return "{\n" + members.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    /// A JSON string, escaped as JSONEncoder escapes it (which cannot fail for a string).
    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try! encoder.encode(text), as: UTF8.self)
    }
}
