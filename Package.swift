// swift-tools-version: 6.2
import PackageDescription

// Modules whose work is not on a hot path (parsing a scenario, orchestrating a run, writing reports, the command
// line) are compiled without optimization even in release: optimizing them was about 75 s of the release build's
// 360 s of compiler time on 2 cores, and made no run measurably faster. The relay, the timelines, the driver
// intake and child processes stay optimized. Fuzzing (NATSFAULT_FUZZ) optimizes everything.
let coldModule: [SwiftSetting] = Context.environment["NATSFAULT_FUZZ"] != nil ? [] : [.unsafeFlags(["-Onone"], .when(configuration: .release))]

let package = Package(
    name: "natsfault",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "natsfault", targets: ["natsfault"]),
        .executable(name: "natsfault-driver-c", targets: ["natsfault-driver-c"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
    ],
    targets: [
        // The scenario model, YAML decoding and validation: pure values, no effects.
        .target(
            name: "NATSFaultScenario",
            dependencies: [.product(name: "Yams", package: "Yams")],
            path: "Sources/Scenario",
            swiftSettings: coldModule,
            plugins: ["CataloguePlugin"]
        ),
        // Writes the catalogues of faults (Sources/Scenario/Faults/<Target>/) and report formats (Sources/Reporting/Formats/):
        // a fault or a format registers by existing.
        .executableTarget(name: "CatalogueGenerator", path: "Plugins/CatalogueGenerator"),
        .plugin(name: "CataloguePlugin", capability: .buildTool(), dependencies: ["CatalogueGenerator"], path: "Plugins/CataloguePlugin"),
        // Events, expectations and verdicts: pure functions over recorded timelines.
        .target(
            name: "NATSFaultTimeline",
            dependencies: ["NATSFaultScenario"],
            path: "Sources/Timeline"
        ),
        // Child processes natsfault owns (start, output, exit, teardown) and the C calls behind one errno helper.
        .target(
            name: "NATSFaultProcess",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Sources/Process"
        ),
        // libcrypto (OpenSSL 3, Debian's libssl-dev): Ed25519 and SHA-256 for NKeys and JWTs, without compiling a copy.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // NKeys, NATS JWTs and creds files (libcrypto's Ed25519): the operator, accounts and users of a run.
        .target(
            name: "NATSFaultCredentials",
            dependencies: ["NATSFaultScenario", "COpenSSL"],
            path: "Sources/Credentials"
        ),
        // nats-server child processes: configuration, readiness, signals, logs.
        .target(
            name: "NATSFaultSupervisor",
            dependencies: [
                "NATSFaultScenario", "NATSFaultTimeline", "NATSFaultProcess", "NATSFaultCredentials",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Supervisor"
        ),
        // User, network and PID namespaces; re-execution of the runner inside them.
        .target(
            name: "NATSFaultSandbox",
            dependencies: ["NATSFaultProcess"],
            path: "Sources/Sandbox"
        ),
        // Client driver processes and the JSON-lines driver protocol.
        .target(
            name: "NATSFaultDrivers",
            dependencies: [
                "NATSFaultScenario", "NATSFaultTimeline", "NATSFaultProcess",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Drivers"
        ),
        // The SwiftNIO TCP proxy between each client and each server: relay, NATS protocol parsing, socket faults.
        .target(
            name: "NATSFaultProxy",
            dependencies: [
                "NATSFaultScenario", "NATSFaultTimeline",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/FaultProxy",
            // The relay parses every byte that crosses it; runtime exclusivity checks cost it about a tenth of its time.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // libiptc (Debian's libiptc-dev) behind a small C layer that lays out iptables entries.
        .target(
            name: "CFirewall",
            path: "Sources/CFirewall",
            linkerSettings: [.linkedLibrary("ip4tc")]
        ),
        // iptables rules in the scenario's own network namespace: the only module that imports libiptc.
        .target(
            name: "NATSFaultFirewall",
            dependencies: ["CFirewall", "NATSFaultScenario"],
            path: "Sources/Firewall"
        ),
        // Reporters over a suite's recorded results (console, JUnit XML, JSON, Markdown matrix, HTML timelines), each
        // declaring its own command-line option; the conformance report and its text.
        .target(
            name: "NATSFaultReporting",
            dependencies: [
                "NATSFaultTimeline", "NATSFaultScenario", "NATSFaultProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Plot", package: "Plot"),
            ],
            path: "Sources/Reporting",
            swiftSettings: coldModule,
            plugins: ["CataloguePlugin"]
        ),
        // Runs scenarios: ties the scenario, its servers, drivers and faults into a verdict.
        .target(
            name: "NATSFaultRunner",
            dependencies: [
                "NATSFaultScenario", "NATSFaultTimeline", "NATSFaultSupervisor",
                "NATSFaultSandbox", "NATSFaultDrivers", "NATSFaultReporting", "NATSFaultProxy", "NATSFaultFirewall", "NATSFaultProcess",
                "NATSFaultCredentials",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Runner",
            swiftSettings: coldModule
        ),
        .executableTarget(
            name: "natsfault",
            dependencies: [
                "NATSFaultRunner", "NATSFaultProxy", "NATSFaultDrivers", "NATSFaultReporting", "NATSFaultScenario", "NATSFaultTimeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/natsfault",
            swiftSettings: coldModule
        ),
        // libnats (nats.c), from Debian's libnats-dev.
        .systemLibrary(
            name: "CNATS",
            path: "Sources/CNATS",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),
        // The client driver for nats.c, speaking DRIVER-PROTOCOL v1 on stdin/stdout.
        .executableTarget(
            name: "natsfault-driver-c",
            dependencies: ["CNATS"],
            path: "Sources/natsfault-driver-c",
            exclude: ["README.md", "tests"],
            // The driver is the client under test: optimized in every build, so that a debug build of natsfault
            // does not make nats.c look slow (unoptimized, it published about 2,900 messages/s instead of 1,000,000+).
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .testTarget(name: "ScenarioTests", dependencies: ["NATSFaultScenario", "NATSFaultTimeline", "NATSFaultDrivers"], exclude: ["Malformed"]),
        .testTarget(name: "FaultTests", dependencies: ["NATSFaultScenario", "NATSFaultDrivers"]),
        .testTarget(name: "SandboxTests", dependencies: ["NATSFaultSandbox", "NATSFaultProcess"]),
        .testTarget(name: "TimelineTests", dependencies: ["NATSFaultTimeline", "NATSFaultScenario"]),
        .testTarget(
            name: "ReportingTests",
            dependencies: ["NATSFaultReporting", "NATSFaultTimeline", "NATSFaultScenario", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["Golden"]
        ),
        .testTarget(name: "RunnerTests", dependencies: ["NATSFaultRunner", "NATSFaultScenario", "NATSFaultSupervisor", "NATSFaultReporting"]),
        .testTarget(
            name: "FaultProxyTests",
            dependencies: ["NATSFaultProxy", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "SupervisorTests",
            dependencies: ["NATSFaultSupervisor", "NATSFaultScenario", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "ProcessTests", dependencies: ["NATSFaultProcess"]),
        .testTarget(
            name: "CredentialsTests",
            dependencies: ["NATSFaultCredentials", "NATSFaultSupervisor", "NATSFaultScenario", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "DriversTests", dependencies: ["NATSFaultDrivers", "NATSFaultScenario"]),
        .testTarget(name: "EndToEndTests", dependencies: ["NATSFaultTimeline"], exclude: ["Fixtures"]),
    ]
)

// libFuzzer targets (Tests/Fuzz), built and run by scripts/fuzz with -sanitize=fuzzer. They need libFuzzer's
// runtime, so they exist only when NATSFAULT_FUZZ is set: a plain `swift build` or `swift test` never sees them.
if Context.environment["NATSFAULT_FUZZ"] != nil {
    let fuzzTargets: [(product: String, target: String, dependencies: [Target.Dependency])] = [
        ("fuzz-scenario", "FuzzScenario", ["NATSFaultScenario"]),
        ("fuzz-protocol", "FuzzProtocol", ["NATSFaultProxy", .product(name: "NIOCore", package: "swift-nio")]),
        ("fuzz-driver-lines", "FuzzDriverLines", ["NATSFaultDrivers", "NATSFaultProcess"]),
    ]
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Tests/Fuzz/Support"),
    ]
    for fuzz in fuzzTargets {
        package.targets.append(.executableTarget(
            name: fuzz.target, dependencies: ["FuzzSupport"] + fuzz.dependencies, path: "Tests/Fuzz/\(fuzz.target.dropFirst(4))"))
        package.products.append(.executable(name: fuzz.product, targets: [fuzz.target]))
    }
}
