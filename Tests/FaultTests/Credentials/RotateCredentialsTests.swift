@testable import NATSFaultScenario
import Testing

struct RotateCredentialsTests {
    @Test func writesAFreshFileExpiringAsGiven() async throws {
        let fault = try fault("rotate_credentials: {user: x, expires: 1m}", accounts: true)
        #expect(try await effects(of: fault) == ["rotate x afterStart(60.0 seconds)"])
        #expect(fault.description == "rotate the credentials of user x (a fresh JWT, expiring 60s after the timeline's start)")
        #expect(type(of: fault).harmless, "a rotation breaks no connection: it begins no outage")
    }

    @Test func aUserAloneGetsCredentialsThatNeverExpire() async throws {
        #expect(try await effects(of: fault("rotate_credentials: y", accounts: true)) == ["rotate y never"])
        let at = try fault("rotate_credentials: {user: y, expires_at: \"2030-01-01T00:00:00Z\"}", accounts: true)
        #expect(try await effects(of: at) == ["rotate y at(1893456000)"])
    }

    @Test func theUserMustBeOneOfTheAccounts() {
        #expect(error("rotate_credentials: {user: z}", accounts: true)?.hasSuffix("no user of the accounts is named \"z\"; allowed: x, y") == true)
        #expect(error("rotate_credentials: x")?.contains("no accounts are declared; \"x\" must be a user of a top-level \"accounts:\" entry") == true)
    }

    @Test func anExpiryIsOneWholeSecondOrATime() {
        #expect(error("rotate_credentials: {user: x, expires: 1500ms}", accounts: true)?.contains("a JWT expires on a whole second") == true)
        #expect(error("rotate_credentials: {user: x, expires: 1s, expires_at: \"2030-01-01T00:00:00Z\"}", accounts: true)?
            .contains("give \"expires\" or \"expires_at\", not both") == true)
        #expect(error("rotate_credentials: {user: x, expires_at: tomorrow}", accounts: true)?.contains("\"tomorrow\" is not an RFC 3339 time") == true)
    }
}
