import Foundation
import Logging
@testable import NATSFaultCredentials
import NATSFaultScenario
import NATSFaultSupervisor
import Testing

struct NKeyTests {
    @Test(arguments: NKey.Role.allCases) func publicKeysAndSeedsCarryTheirRoleAndComeBack(role: NKey.Role) throws {
        let key = NKey(role: role)
        let letter = ["O", "A", "U"][NKey.Role.allCases.firstIndex(of: role)!]
        #expect(key.publicKey.count == 56 && key.publicKey.hasPrefix(letter))
        #expect(key.seed.count == 58 && key.seed.hasPrefix("S" + letter))
        let back = try NKey(seed: key.seed)
        #expect(back.role == role && back.publicKey == key.publicKey)
    }

    @Test func aSeedWithAWrongCharacterFailsItsChecksum() {
        var seed = Array(NKey(role: .user).seed)
        seed[20] = seed[20] == "A" ? "B" : "A"
        #expect(throws: CredentialsError.self) { try NKey(seed: String(seed)) }
    }

    /// The CRC-16 NKeys use is CRC-16/XMODEM: its check value for "123456789" is 0x31C3.
    @Test func theChecksumIsXMODEM() {
        #expect(CRC16.checksum(Array("123456789".utf8)) == 0x31C3)
    }

    /// RFC 4648's test vectors, without padding.
    @Test func base32IsRFC4648WithoutPadding() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode(Array("fo".utf8)) == "MZXQ")
        #expect(Base32.decode("MZXW6YTBOI") == Array("foobar".utf8))
    }
}

struct JWTTests {
    @Test func aUserTokenIsSignedByItsAccountAndCarriesItsExpiry() throws {
        let authority = try CredentialsAuthority(accounts: [AccountSpec(name: "app", users: [JWTUser(name: "x", expiry: nil)])])
        let (token, seed) = try authority.token(for: "x", expiresAt: 2_000_000_000)
        let (claims, valid) = try JWT.decode(token)
        #expect(valid)
        #expect(claims["exp"] as? Int == 2_000_000_000 && claims["name"] as? String == "x")
        let subject = try NKey(seed: seed).publicKey
        #expect(claims["sub"] as? String == subject)
        #expect(authority.trust.accountJWTs.keys.contains(claims["iss"] as? String ?? "?"))
        let header = String(decoding: try #require(JWT.fromBase64URL(token.split(separator: ".")[0])), as: UTF8.self)
        #expect(header == #"{"typ":"JWT","alg":"ed25519-nkey"}"#)
    }

    @Test func aTamperedTokenDoesNotVerify() throws {
        let authority = try CredentialsAuthority(accounts: [AccountSpec(name: "app", users: [JWTUser(name: "x", expiry: nil)])])
        let parts = try authority.token(for: "x", expiresAt: nil).token.split(separator: ".").map(String.init)
        var claims = try #require(JWT.fromBase64URL(Substring(parts[1])))
        claims[claims.startIndex + 2] ^= 1
        #expect(try JWT.decode([parts[0], JWT.base64URL(claims), parts[2]].joined(separator: ".")).signatureValid == false)
    }

    @Test func theCredsFileHasTheLayoutClientsParse() throws {
        let authority = try CredentialsAuthority(accounts: [AccountSpec(name: "app", users: [JWTUser(name: "x", expiry: nil)])])
        let lines = try authority.credentials(for: "x", expiresAt: nil).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "-----BEGIN NATS USER JWT-----" && lines[2] == "------END NATS USER JWT------")
        #expect(lines[8] == "-----BEGIN USER NKEY SEED-----" && lines[10] == "------END USER NKEY SEED------")
        let role = try NKey(seed: String(lines[9])).role
        #expect(lines[9].hasPrefix("SU") && role == .user)
    }

    /// The official Go nkeys library (Debian's golang-github-nats-io-nkeys-dev, installed by scripts/setup with nats.go)
    /// reads natsfault's seeds and verifies its JWT signatures.
    @Test func goNKeysAgreesWithTheEncoding() throws {
        let authority = try CredentialsAuthority(accounts: [AccountSpec(name: "app", users: [JWTUser(name: "x", expiry: nil)])])
        let (token, seed) = try authority.token(for: "x", expiresAt: nil)
        let publicKey = try NKey(seed: seed).publicKey
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/nkeys-check/main.go").path
        let go = Process()
        go.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        go.arguments = ["go", "run", fixture, seed, publicKey, token]
        var environment = ProcessInfo.processInfo.environment
        (environment["GOPATH"], environment["GO111MODULE"]) = ("/usr/share/gocode", "off")
        // The go driver's build cache (scripts/setup, scripts/test): nothing is left in TMPDIR.
        environment["GOCACHE"] = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/drivers/go-cache").standardized.path
        go.environment = environment
        let output = Pipe()
        (go.standardOutput, go.standardError) = (output, output)
        try go.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        go.waitUntilExit()
        #expect(go.terminationStatus == 0 && text.hasSuffix("ok\n"), "go nkeys: \(text) (go and Debian's nats.go are installed by scripts/setup)")
    }
}

/// A real nats-server in operator mode, trusting a run's operator: it accepts the JWTs natsfault issues and refuses
/// an expired one.
@Suite struct OperatorModeTests {
    @Test func aServerInOperatorModeAcceptsIssuedUsersAndRefusesExpiredOnes() async throws {
        let binary = try #require(await ServerBinary.discover().first, "no nats-server installed; run scripts/setup")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("natsfault-credentials-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let authority = try CredentialsAuthority(accounts: [AccountSpec(name: "app", users: [JWTUser(name: "x", expiry: nil)])])
        let spec = ServerSpec(name: "a", host: "127.0.0.1", port: try #require(LoopbackPorts.free()), monitorPort: try #require(LoopbackPorts.free()))
        let server = ServerProcess(spec: spec, binary: binary, workDirectory: work.path, trust: authority.trust, logger: Logger(label: "test"), record: { _ in })
        try await server.start()
        defer { Task { await server.shutdown() } }

        let now = Int64(Date().timeIntervalSince1970)
        let valid = try authority.token(for: "x", expiresAt: now + 60)
        let outcome = try await RequestProbe.requests(RequestProbe.Target(host: spec.host, port: spec.port, jwt: valid), subject: "nobody", timeout: .seconds(2))
        guard case .noResponders? = outcome.first else { Issue.record("an authenticated request gets no responders, got \(outcome)"); return }

        let expired = try authority.token(for: "x", expiresAt: now - 10)
        await #expect(throws: RequestProbe.Failure.self) {
            _ = try await RequestProbe.requests(RequestProbe.Target(host: spec.host, port: spec.port, jwt: expired), subject: "nobody", timeout: .seconds(2))
        }
        let stranger = try CredentialsAuthority(accounts: [AccountSpec(name: "app", users: [JWTUser(name: "x", expiry: nil)])]).token(for: "x", expiresAt: nil)
        await #expect(throws: RequestProbe.Failure.self, "a JWT of another operator is refused") {
            _ = try await RequestProbe.requests(RequestProbe.Target(host: spec.host, port: spec.port, jwt: stranger), subject: "nobody", timeout: .seconds(2))
        }
        await server.shutdown()
        let config = try String(contentsOf: work.appendingPathComponent("a.conf"), encoding: .utf8)
        #expect(config.contains("resolver: MEMORY") && config.contains("operator: \"\(authority.trust.operatorJWT)\""))
    }
}
