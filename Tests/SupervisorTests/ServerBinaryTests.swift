@testable import NATSFaultSupervisor
import Testing

/// Choosing a nats-server among the installed ones: by version prefix, as numbers, and by the words a scenario
/// may use instead (oldest, newest, and for a restart next).
struct ServerBinaryTests {
    /// Newest first, as `discover()` returns them.
    static let installed = ["2.15.1", "2.14.6", "2.12.8", "2.11.11", "2.10.26", "2.9.10"].map { ServerBinary(path: "/x/\($0)", version: $0) }

    @Test func prefixesMatchWholeComponentsAndTheNewestWins() throws {
        #expect(throws: SupervisorError.self) { try ServerBinary.select(from: Self.installed, versionPrefix: "2.1") }
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "2.10").version == "2.10.26")
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "2.9").version == "2.9.10")
        #expect(throws: SupervisorError.self) { try ServerBinary.select(from: Self.installed, versionPrefix: "2.13") }
    }

    @Test func oldestNewestAndNextNameInstalledVersionsAsNumbers() throws {
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "oldest").version == "2.9.10")
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "newest").version == "2.15.1")
        // next: the next installed version above the one the server runs (2.9 → 2.10, not 2.15); the newest stays.
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "next", current: "2.9.10").version == "2.10.26")
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "next", current: "2.12.8").version == "2.14.6")
        #expect(try ServerBinary.select(from: Self.installed, versionPrefix: "next", current: "2.15.1").version == "2.15.1")
    }
}
