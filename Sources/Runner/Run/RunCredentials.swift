import Foundation
import NATSFaultCredentials
import NATSFaultScenario
import NATSFaultSupervisor

/// The credentials of a run in operator mode: the operator and accounts its servers trust, and the creds file of
/// every user in the run's folder (`<user>.creds`, kept with the run's artifacts).
///
/// The timeline of such a run starts on a whole second of the wall clock, because JWTs expire on whole seconds:
/// a user with `expires: 3s` gets the `exp` claim *timeline start + 3 s* exactly.
struct RunCredentials: Sendable {
    let authority: CredentialsAuthority
    let directory: String
    /// The wall-clock second (since 1970) the timeline starts on, from which `expires` counts.
    let timelineStartSeconds: Int64

    /// Picks the next whole second at least 100 ms away (time to write the files), writes every user's creds file
    /// with its expiry counted from that second, and waits until it comes.
    ///
    /// - Returns: the credentials, once the wall clock has reached the second the timeline starts on.
    static func startingTimeline(_ authority: CredentialsAuthority, accounts: [AccountSpec], directory: String) async throws -> RunCredentials {
        let now = Date().timeIntervalSince1970
        var start = now.rounded(.down) + 1
        if start - now < 0.1 { start += 1 }
        let credentials = RunCredentials(authority: authority, directory: directory, timelineStartSeconds: Int64(start))
        for user in accounts.flatMap(\.users) { try credentials.write(user.name, expiry: user.expiry) }
        let left = start - Date().timeIntervalSince1970
        if left > 0 { try await Task.sleep(for: .nanoseconds(Int64(left * 1e9))) }
        return credentials
    }

    /// Writes `user`'s creds file anew (replacing the old one at once), its JWT expiring as `expiry` says.
    func write(_ user: String, expiry: CredentialExpiry?) throws {
        try authority.writeCredentials(for: user, expiresAt: expiry?.claim(timelineStart: timelineStartSeconds),
                                       to: JWTUser.credsFile(of: user, in: directory))
    }

    /// What natsfault's own probes present: the probe user's JWT (never expiring) and seed.
    func probeToken() throws -> (token: String, seed: String) {
        try authority.token(for: CredentialsAuthority.probeUser, expiresAt: nil)
    }
}
