import Foundation
@testable import NATSFaultScenario
import Testing

struct CatalogTests {
    /// Every file under Sources/Scenario/Faults/<Target>/ is in the catalogue, in the folder of its target, with a test here.
    @Test func everyFaultFileIsRegisteredInItsTargetFolderWithItsTest() throws {
        let faults = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Scenario/Faults")
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let folders: [FaultTarget: String] = [.server: "Server", .client: "Client", .link: "Proxy", .firewall: "Firewall", .credentials: "Credentials"]
        var files: [String] = []
        for (target, folder) in folders {
            let names = try FileManager.default.contentsOfDirectory(atPath: faults.appendingPathComponent(folder).path).filter { $0.hasSuffix(".swift") }
            files += names
            let types = FaultCatalog.faults(of: target).map { String(describing: $0) + ".swift" }
            #expect(Set(names) == Set(types), "\(folder)")
            for name in names {
                let test = tests.appendingPathComponent(folder).appendingPathComponent(name.replacingOccurrences(of: ".swift", with: "Tests.swift"))
                #expect(FileManager.default.fileExists(atPath: test.path), "\(folder)/\(name) has no test beside it")
            }
        }
        #expect(files.count == FaultCatalog.all.count)
    }

    @Test func namesAreUniqueWithinATarget() {
        for target in FaultTarget.allCases {
            let names = FaultCatalog.faults(of: target).map { $0.name }
            #expect(Set(names).count == names.count, "\(target)")
        }
    }

    /// A scenario travels to its sandboxed runner as JSON: every fault comes back as the same fault.
    @Test func faultsSurviveTheHandOverToTheSandbox() throws {
        let steps = ["restart: {server: a, down: 1s}", "pause_client: {client: app, for: 1s}", "proxy: {fault: latency, latency: 5ms, seed: 3}",
                     "partition: {servers: b}", "reload: {server: a, max_connections: 2}"]
        for step in steps {
            let original = try scenario(step: step)
            let copy = try JSONDecoder().decode(Scenario.self, from: try JSONEncoder().encode(original))
            guard case .fault(let a) = original.steps[0].action, case .fault(let b) = copy.steps[0].action else { Issue.record("\(step)"); continue }
            #expect(type(of: a.base) == type(of: b.base) && a.base.description == b.base.description, "\(step)")
            #expect(copy.steps.count == original.steps.count && copy.clients == original.clients && copy.servers == original.servers)
        }
    }
}
