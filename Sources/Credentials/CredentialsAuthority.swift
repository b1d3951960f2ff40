import Foundation
public import NATSFaultScenario

/// The operator of one run: its keys, the accounts and users of the scenario's `accounts:`, and the JWTs and creds
/// files they need, made afresh for every run.
///
/// Every server of the scenario trusts the operator and preloads the account JWTs into a memory resolver
/// (`trust`); each user's creds file (its JWT, signed by its account, and its seed) is written into the run's
/// folder, where the clients that name the user read it.
public struct CredentialsAuthority: Sendable {
    private let operatorKey = NKey(role: .operator)
    private let systemKey = NKey(role: .account)
    /// Each account's key, by account name.
    private let accountKeys: [String: NKey]
    /// Each user's key and account, by user name.
    private let users: [String: (key: NKey, account: String)]
    /// What the server configuration needs: the operator's JWT, the system account and the account JWTs.
    public let trust: OperatorTrust

    /// Makes the keys of every account and user, and the operator and account JWTs.
    ///
    /// - Parameter issuedAt: seconds since 1970, the JWTs' `iat`.
    public init(accounts: [AccountSpec], issuedAt: Int64 = Int64(Date().timeIntervalSince1970)) throws(CredentialsError) {
        var accountKeys: [String: NKey] = [:]
        var users: [String: (NKey, String)] = [:]
        for account in accounts {
            accountKeys[account.name] = NKey(role: .account)
            for user in account.users { users[user.name] = (NKey(role: .user), account.name) }
        }
        if let first = accounts.first { users[Self.probeUser] = (NKey(role: .user), first.name) }
        self.accountKeys = accountKeys
        self.users = users
        let operatorClaims: [String: JSONValue] = [
            "sub": .string(operatorKey.publicKey), "name": .string("natsfault"),
            "nats": .object(["type": .string("operator"), "version": .int(2), "system_account": .string(systemKey.publicKey)]),
        ]
        var accountJWTs: [String: String] = [:]
        for (name, key) in [("SYS", systemKey)] + accountKeys.sorted(by: { $0.key < $1.key }) {
            accountJWTs[key.publicKey] = try JWT.encode(Self.accountClaims(name: name, key: key), issuer: operatorKey, issuedAt: issuedAt)
        }
        trust = OperatorTrust(operatorJWT: try JWT.encode(operatorClaims, issuer: operatorKey, issuedAt: issuedAt),
                              systemAccount: systemKey.publicKey, accountJWTs: accountJWTs)
    }

    /// The user natsfault's own probes connect as: a user of the first account that never expires.
    public static let probeUser = "natsfault-probe"

    /// A fresh JWT for `user` (expiring at `expiresAt`, seconds since 1970, if given), and the user's seed.
    ///
    /// - Throws: `CredentialsError.badToken` when the scenario declares no such user.
    public func token(for user: String, expiresAt: Int64?, issuedAt: Int64 = Int64(Date().timeIntervalSince1970)) throws(CredentialsError) -> (token: String, seed: String) {
        guard let (key, account) = users[user], let accountKey = accountKeys[account] else { throw .badToken("no user is named \(user)") }
        var claims: [String: JSONValue] = [
            "sub": .string(key.publicKey), "name": .string(user),
            "nats": .object(["pub": .object([:]), "sub": .object([:]), "subs": .int(-1), "data": .int(-1), "payload": .int(-1),
                             "type": .string("user"), "version": .int(2)]),
        ]
        if let expiresAt { claims["exp"] = .int(expiresAt) }
        return (try JWT.encode(claims, issuer: accountKey, issuedAt: issuedAt), key.seed)
    }

    /// The text of `user`'s creds file: a fresh JWT (expiring at `expiresAt`, seconds since 1970, if given) and the
    /// user's seed, in the format of nats-io/jwt's `FormatUserConfig`.
    public func credentials(for user: String, expiresAt: Int64?) throws(CredentialsError) -> String {
        let (token, seed) = try token(for: user, expiresAt: expiresAt)
        return """
            -----BEGIN NATS USER JWT-----
            \(token)
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.
            NKEYs are sensitive and should be treated as secrets.

            -----BEGIN USER NKEY SEED-----
            \(seed)
            ------END USER NKEY SEED------

            *************************************************************

            """
    }

    /// Writes `user`'s creds file at `path`, replacing any earlier one in one step (a client reading it sees the old
    /// file or the new one, never half of one).
    public func writeCredentials(for user: String, expiresAt: Int64?, to path: String) throws(CredentialsError) {
        let text = try credentials(for: user, expiresAt: expiresAt)
        let temporary = path + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw .cannotWrite(path: path, reason: "could not create \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    }

    private static func accountClaims(name: String, key: NKey) -> [String: JSONValue] {
        let unlimited: [String: JSONValue] = ["subs": .int(-1), "data": .int(-1), "payload": .int(-1), "imports": .int(-1), "exports": .int(-1),
                                              "wildcards": .bool(true), "conn": .int(-1), "leaf": .int(-1)]
        return ["sub": .string(key.publicKey), "name": .string(name),
                "nats": .object(["limits": .object(unlimited), "default_permissions": .object(["pub": .object([:]), "sub": .object([:])]),
                                 "type": .string("account"), "version": .int(2)])]
    }
}

/// What a server in operator mode is configured with: the operator JWT it trusts, its system account, and the JWT of
/// every account (public key → JWT), preloaded into its memory resolver.
public struct OperatorTrust: Sendable, Hashable, Codable {
    public var operatorJWT: String
    public var systemAccount: String
    public var accountJWTs: [String: String]
}
