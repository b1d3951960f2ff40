// Commands read from stdin: one JSON object per line.

import Foundation

/// A parsed JSON value (input side).
enum JSON: Decodable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSON].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSON].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A bad command or field: acked with kind "other".
struct BadCommand: Error {
    let message: String
}

/// Typed access to a JSON object's fields; `nil` for absent or null fields.
struct Fields {
    let values: [String: JSON]
    /// Prefix for error messages, e.g. "options." for connect options.
    let prefix: String

    init(_ values: [String: JSON], prefix: String = "") {
        self.values = values
        self.prefix = prefix
    }

    private func present(_ key: String) -> JSON? {
        guard let v = values[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    private func bad(_ key: String, _ want: String, _ got: JSON) -> BadCommand {
        BadCommand(message: "field '\(prefix)\(key)' must be \(want), got \(got.typeName)")
    }

    func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw bad(key, "a string", v) }
        return s
    }

    func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else {
            throw BadCommand(message: "missing field '\(prefix)\(key)'")
        }
        return s
    }

    func int(_ key: String) throws -> Int64? {
        guard let v = present(key) else { return nil }
        switch v {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e18: return Int64(d)
        default: throw bad(key, "an integer", v)
        }
    }

    func double(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw bad(key, "a number", v)
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard case .bool(let b) = v else { throw bad(key, "a boolean", v) }
        return b
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let v = present(key) else { return nil }
        switch v {
        case .string(let s): return [s]
        case .array(let items):
            return try items.map { item in
                guard case .string(let s) = item else {
                    throw BadCommand(message: "field '\(prefix)\(key)' must be a list of strings")
                }
                return s
            }
        default: throw bad(key, "a list of strings", v)
        }
    }

    func object(_ key: String) throws -> Fields? {
        guard let v = present(key) else { return nil }
        guard case .object(let o) = v else { throw bad(key, "an object", v) }
        return Fields(o, prefix: prefix + key + ".")
    }
}

/// One command line: `id`, `op` and the rest of its fields.
struct Command {
    let id: Int64
    let op: String
    let fields: Fields
}

enum ParsedLine {
    case command(Command)
    /// Parsed far enough to have an id, but the command itself is bad.
    case badCommand(id: Int64, message: String)
    /// Not a JSON object with an integer id: nothing to ack.
    case garbage(String)
}

func parseLine(_ line: String) -> ParsedLine {
    let value: JSON
    do {
        value = try JSONDecoder().decode(JSON.self, from: Data(line.utf8))
    } catch {
        return .garbage("line is not JSON: \(line.prefix(200))")
    }
    guard case .object(let obj) = value else {
        return .garbage("line is not a JSON object: \(line.prefix(200))")
    }
    let fields = Fields(obj)
    let id: Int64
    do {
        guard let i = try fields.int("id") else {
            return .garbage("command without an integer 'id': \(line.prefix(200))")
        }
        id = i
    } catch {
        return .garbage("command without an integer 'id': \(line.prefix(200))")
    }
    do {
        guard let op = try fields.string("op") else {
            return .badCommand(id: id, message: "missing field 'op'")
        }
        return .command(Command(id: id, op: op, fields: fields))
    } catch let e as BadCommand {
        return .badCommand(id: id, message: e.message)
    } catch {
        return .badCommand(id: id, message: "\(error)")
    }
}
