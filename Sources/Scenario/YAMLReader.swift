import Yams

/// A YAML node with its place in the file and its path from the document root, for errors.
struct YAMLValue {
    let node: Node
    let file: String
    /// The key path, e.g. `servers[0].ping_interval`.
    let path: String
    /// What the key table says the value is (`ScenarioKeys`), for the readers that take their range, floor or
    /// wording from it; nil for a value no table describes.
    var kind: ValueKind? = nil

    var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func error(_ message: String) -> ScenarioError { ScenarioError(location, path.isEmpty ? message : "\(path): \(message)") }

    private var shown: String {
        switch node {
        case .scalar(let s): "\"\(s.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Any scalar, read as text.
    func string() throws(ScenarioError) -> String {
        guard case .scalar(let s) = node, !(s.style == .plain && ["~", "null", "Null", "NULL"].contains(s.string)) else {
            throw error("expected text, found \(shown)")
        }
        guard !s.string.isEmpty else { throw error("must not be empty; write a name or a value") }
        return s.string
    }

    /// A nats-server version prefix: whole numbers separated by dots (`2.15`, `2.9.10`).
    func versionPrefix() throws(ScenarioError) -> String {
        let text = try string()
        guard text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Int($0) != nil }) else {
            throw error("\"\(text)\" is not a version prefix; write e.g. \"2.15\" or \"2.9.10\"")
        }
        return text
    }

    /// The nats-server version a server runs: a version prefix, or `oldest` / `newest` of those installed.
    func serverVersion() throws(ScenarioError) -> String {
        let text = try string()
        if ServerVersionPin.words.contains(text) { return text }
        guard text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ Int($0) != nil }) else {
            throw error("\"\(text)\" is not a nats-server version; write a version prefix such as \"2.15\" or \"2.9.10\", or oldest, newest or next (of those installed)")
        }
        return text
    }

    /// A plain integer in `range`.
    func int(_ range: ClosedRange<Int>, what: String = "a whole number") throws(ScenarioError) -> Int {
        guard case .scalar(let s) = node, s.style == .plain, let value = Int(s.string) else {
            throw error("expected \(what), found \(shown); allowed: \(describe(range))")
        }
        guard range.contains(value) else { throw error("\(value) is out of range; allowed: \(describe(range))") }
        return value
    }

    /// A size in bytes: a whole number, or one with the unit `KB` (1024) or `MB` (1024 × 1024), as nats-server reads them.
    func byteSize(_ range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        let units = [("KB", 1024), ("MB", 1024 * 1024)]
        guard case .scalar(let s) = node, s.style == .plain else { throw error("expected a size in bytes, found \(shown); e.g. 1048576, 512KB, 10MB") }
        let (digits, factor) = units.first { s.string.hasSuffix($0.0) }.map { (String(s.string.dropLast(2)), $0.1) } ?? (s.string, 1)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), number >= 0 else {
            throw error("expected a size in bytes, found \(shown); a whole number, or one with KB or MB, e.g. 1048576, 512KB, 10MB")
        }
        let (value, overflow) = number.multipliedReportingOverflow(by: factor)
        guard !overflow, range.contains(value) else { throw error("\(s.string) is out of range; allowed: \(describe(range)) bytes") }
        return value
    }

    /// A positive number (rates).
    func positiveNumber() throws(ScenarioError) -> Double {
        guard case .scalar(let s) = node, s.style == .plain, let value = Double(s.string), value > 0, value.isFinite else {
            throw error("expected a positive number, found \(shown)")
        }
        return value
    }

    func bool() throws(ScenarioError) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { throw error("expected true or false, found \(shown)") }
        switch s.string {
        case "true": return true
        case "false": return false
        default: throw error("expected true or false, found \(shown)")
        }
    }

    /// A whole number in the range the key table gives the value.
    func int() throws(ScenarioError) -> Int {
        guard case .wholeNumber(let range, let what)? = kind else { preconditionFailure(mismatch("a whole number")) }
        return try int(range, what: what)
    }

    /// A size in bytes in the range the key table gives the value.
    func byteSize() throws(ScenarioError) -> Int {
        guard case .byteSize(let range)? = kind else { preconditionFailure(mismatch("a size in bytes")) }
        return try byteSize(range)
    }

    /// A duration at least as long as the key table's floor for the value.
    func duration() throws(ScenarioError) -> Duration {
        switch kind {
        case .duration(.zero)?: try anyDuration()
        case .duration(.positive)?: try positiveDuration()
        case .duration(.millisecond)?: try driverDuration()
        default: preconditionFailure(mismatch("a duration"))
        }
    }

    /// One of the words of `E`, named in errors as the key table says.
    func oneOf<E: CaseIterable & RawRepresentable>(_ type: E.Type) throws(ScenarioError) -> E where E.RawValue == String {
        guard case .choice(let words, let what)? = kind, words == E.allCases.map(\.rawValue) else { preconditionFailure(mismatch("one of \(E.allowedList)")) }
        return try oneOf(type, what: what)
    }

    /// Why a reader cannot read the value: the parser and the key table disagree, a mistake in natsfault itself.
    private func mismatch(_ expected: String) -> String {
        "\(path): the parser reads \(expected), the key table says \(kind.map { "\($0)" } ?? "nothing")"
    }

    private func anyDuration() throws(ScenarioError) -> Duration {
        guard case .scalar(let s) = node else { throw error("expected a duration, found \(shown); \(DurationText.allowed)") }
        if s.string.trimmingWhitespace().hasPrefix("-") {
            throw error("\"\(s.string)\" is negative; durations are zero or more, e.g. 0s, 250ms, 2s")
        }
        if s.style == .plain, Double(s.string) != nil {
            throw error("\"\(s.string)\" has no unit; \(DurationText.allowed)")
        }
        guard let d = DurationText.parse(s.string) else {
            throw error("\"\(s.string)\" is not a duration; \(DurationText.allowed)")
        }
        return d
    }

    /// A positive duration (a zero interval would spin).
    private func positiveDuration() throws(ScenarioError) -> Duration {
        let d = try anyDuration()
        guard d > .zero else { throw error("must be more than zero; e.g. 250ms, 2s") }
        return d
    }

    /// A duration drivers receive in whole milliseconds: at least 1ms.
    private func driverDuration() throws(ScenarioError) -> Duration {
        let d = try anyDuration()
        guard d >= .milliseconds(1) else { throw error("must be at least 1ms (drivers take milliseconds); e.g. 250ms, 2s") }
        return d
    }

    func oneOf<E: CaseIterable & RawRepresentable>(_: E.Type, what: String) throws(ScenarioError) -> E where E.RawValue == String {
        let text = try string()
        guard let value = E(rawValue: text) else {
            throw error("unknown \(what) \"\(text)\"; allowed: \(E.allowedList)")
        }
        return value
    }

    /// The items of a list, each of the kind the key table gives the list's items.
    func list() throws(ScenarioError) -> [YAMLValue] {
        guard case .sequence(let seq) = node else { throw error("expected a list, found \(shown)") }
        let itemKind: ValueKind? = switch kind {
        case .list(let item, _)?, .oneOrList(let item)?: item
        default: nil
        }
        return seq.enumerated().map { YAMLValue(node: $0.element, file: file, path: "\(path)[\($0.offset)]", kind: itemKind) }
    }

    /// A mapping of the keys `kind` allows, each value of the kind its key has.
    func mapping(_ kind: MappingKind) throws(ScenarioError) -> YAMLMapping {
        let checked = try mapping(kind.what, allowed: kind.names)
        let entries = checked.entries.map { entry in
            var value = entry.value
            value.kind = kind[entry.key]?.value
            return (key: entry.key, value: value)
        }
        return YAMLMapping(value: self, what: kind.what, entries: entries)
    }

    /// A mapping from names of the user's choosing (`drivers`, `env`) to values of the kind the key table gives them.
    func names(_ what: String) throws(ScenarioError) -> YAMLMapping {
        let checked = try mapping(what, allowed: nil)
        guard case .names(let valueKind, _)? = kind else { return checked }
        return YAMLMapping(value: self, what: what, entries: checked.entries.map { (key: $0.key, value: YAMLValue(node: $0.value.node, file: file, path: $0.value.path, kind: valueKind)) })
    }

    /// A mapping whose keys must all be in `allowed` (nil: any names, each once).
    private func mapping(_ what: String, allowed: [String]?) throws(ScenarioError) -> YAMLMapping {
        guard case .mapping(let map) = node else { throw error("expected \(what) as a mapping, found \(shown)") }
        var entries: [(key: String, value: YAMLValue)] = []
        for (keyNode, valueNode) in map {
            let keyValue = YAMLValue(node: keyNode, file: file, path: path)
            guard case .scalar(let key) = keyNode else { throw keyValue.error("keys must be plain names") }
            if let allowed, !allowed.contains(key.string) {
                throw ScenarioError(keyValue.location, "\(path.isEmpty ? "" : path + ": ")unknown key \"\(key.string)\" in \(what)\(suggestion(key.string, allowed)); allowed: \(allowed.joined(separator: ", "))")
            }
            guard !entries.contains(where: { $0.key == key.string }) else {
                throw ScenarioError(keyValue.location, "\(path.isEmpty ? "" : path + ": ")key \"\(key.string)\" appears twice in \(what); give each key once")
            }
            let childPath = path.isEmpty ? key.string : "\(path).\(key.string)"
            entries.append((key.string, YAMLValue(node: valueNode, file: file, path: childPath)))
        }
        return YAMLMapping(value: self, what: what, entries: entries)
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "\(range.lowerBound) or more" }
        return "\(range.lowerBound) to \(range.upperBound)"
    }
}

/// A checked mapping: every key is allowed and appears once.
struct YAMLMapping {
    let value: YAMLValue
    let what: String
    let entries: [(key: String, value: YAMLValue)]

    subscript(key: String) -> YAMLValue? { entries.first { $0.key == key }?.value }

    var keys: [String] { entries.map(\.key) }

    func required(_ key: String) throws(ScenarioError) -> YAMLValue {
        guard let v = self[key] else { throw value.error("\(what) needs \"\(key)\"") }
        return v
    }
}

/// " (did you mean \"x\"?)" when a key is one edit or transposition away from an allowed one.
private func suggestion(_ key: String, _ allowed: [String]) -> String {
    let best = allowed.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
    guard let (name, distance) = best, distance <= max(1, key.count / 4) else { return "" }
    return " (did you mean \"\(name)\"?)"
}

/// Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`: optimal string alignment.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
