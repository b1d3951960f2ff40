import Foundation

/// The `accounts:` of a scenario (operator mode) and the expiry keys of its users, read with the checks they need.
extension References {
    /// The top-level `accounts:`: each `{name, users}`, a user written as its name or as `{name, expires | expires_at}`.
    static func accounts(_ value: YAMLValue?) throws(ScenarioError) -> [AccountSpec] {
        guard let value else { return [] }
        var accounts: [AccountSpec] = []
        var userNames: [String] = []
        for entry in try value.list() {
            let m = try entry.mapping(ScenarioKeys.account)
            let name = try m.required("name").string()
            try checkCredentialName(name, m.required("name"))
            if accounts.contains(where: { $0.name == name }) { throw try m.required("name").error("account name \"\(name)\" is used twice; names must be unique") }
            var users: [JWTUser] = []
            for userValue in try m.required("users").list() {
                let user: JWTUser
                if case .scalar = userValue.node {
                    user = JWTUser(name: try userValue.string(), expiry: nil)
                } else {
                    let u = try userValue.mapping(ScenarioKeys.accountUser)
                    user = JWTUser(name: try u.required("name").string(), expiry: try expiry(u))
                }
                try checkCredentialName(user.name, userValue)
                guard user.name != "natsfault-probe" else { throw userValue.error("\"natsfault-probe\" is the user natsfault's own probes connect as; choose another name") }
                if userNames.contains(user.name) { throw userValue.error("user name \"\(user.name)\" is used twice; user names must be unique across accounts (clients name them in \"credentials\")") }
                userNames.append(user.name)
                users.append(user)
            }
            accounts.append(AccountSpec(name: name, users: users))
        }
        guard !accounts.isEmpty else { throw value.error("needs at least one account; leave \"accounts\" out for servers without operator mode") }
        return accounts
    }

    /// The expiry a mapping gives with `expires` (a whole number of seconds after the timeline starts) or `expires_at`
    /// (an RFC 3339 time, e.g. 2020-01-01T00:00:00Z); nil when it gives neither.
    static func expiry(_ m: YAMLMapping) throws(ScenarioError) -> CredentialExpiry? {
        if let relative = m["expires"] {
            if let absolute = m["expires_at"] { throw absolute.error("give \"expires\" or \"expires_at\", not both") }
            let d = try relative.duration()
            guard d.components.attoseconds == 0 else {
                throw relative.error("a JWT expires on a whole second; write a whole number of seconds, e.g. 3s or 1m")
            }
            return .afterStart(d)
        }
        guard let absolute = m["expires_at"] else { return nil }
        let text = try absolute.string()
        guard let date = ISO8601DateFormatter().date(from: text) else {
            throw absolute.error("\"\(text)\" is not an RFC 3339 time in whole seconds; write e.g. 2020-01-01T00:00:00Z")
        }
        return .at(Int64(date.timeIntervalSince1970))
    }

    /// A user of the scenario's accounts, by name.
    func jwtUser(_ value: YAMLValue) throws(ScenarioError) -> JWTUser {
        let name = try value.string()
        let users = accounts.flatMap(\.users)
        guard let user = users.first(where: { $0.name == name }) else {
            throw value.error(users.isEmpty
                ? "no accounts are declared; \"\(name)\" must be a user of a top-level \"accounts:\" entry (operator mode), e.g. accounts: [{name: app, users: [\(name)]}]"
                : "no user of the accounts is named \"\(name)\"; allowed: \(users.map(\.name).joined(separator: ", "))")
        }
        return user
    }

    private static func checkCredentialName(_ name: String, _ value: YAMLValue) throws(ScenarioError) {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw value.error("\"\(name)\" is not a valid name; use letters, digits, - and _")
        }
    }
}
