/// `rotate_credentials: USER` or `{user, expires | expires_at}`: writes a fresh creds file for a user of the
/// scenario's accounts in place of the old one (a new JWT, expiring as given or never; the same NKey), as an
/// operator rotating an application's credentials does. Clients holding the file see it on their next (re)connect
/// if their library reads the file again.
struct RotateCredentials: Fault {
    static let name = "rotate_credentials"
    static let target = FaultTarget.credentials
    static let parameters = [ScenarioKey.required("user", .name, "The user of the scenario's accounts whose creds file is rewritten.")] + ScenarioKeys.expiry
    static let what = "a credentials rotation"
    static let stepValue = nameOrKeys
    static let summary = "writes a fresh creds file (a new JWT, expiring as given or never) in place of a user's"
    static let harmless = true

    var user: String
    var expiry: CredentialExpiry?

    static func parse(_ input: FaultInput) throws(ScenarioError) -> Self {
        guard !input.isScalar else { return Self(user: try input.references.jwtUser(input.body).name) }
        let m = try input.mapping(of: Self.self)
        return Self(user: try input.references.jwtUser(m.required("user")).name, expiry: try References.expiry(m))
    }

    var subject: FaultSubject { FaultSubject() }

    var description: String {
        let expiring = switch expiry {
        case .afterStart(let d)?: "expiring \(DurationText.format(d)) after the timeline's start"
        case .at(let seconds)?: "expiring at \(seconds) s since 1970"
        case nil: "never expiring"
        }
        return "rotate the credentials of user \(user) (a fresh JWT, \(expiring))"
    }

    func apply(in context: any FaultContext, step: Int) async throws {
        try await context.rotateCredentials(user, expiry: expiry)
    }
}
