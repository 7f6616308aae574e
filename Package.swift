// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "maintctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "maintctl", targets: ["maintctl"]),
        .executable(name: "maintctl-proxy", targets: ["maintctl-proxy"]),
        .library(name: "NodeEndpoint", targets: ["NodeEndpoint"]),
        .library(name: "MaintenanceKit", targets: ["MaintenanceKit"]),
        .library(name: "Plugins", targets: ["Plugins"]),
        .library(name: "SimulatedBackend", targets: ["SimulatedBackend"]),
        .library(name: "ProcessBackend", targets: ["ProcessBackend"]),
        .library(name: "ContainerBackend", targets: ["ContainerBackend"]),
        .library(name: "SSHBackend", targets: ["SSHBackend"]),
        .library(name: "ClusterProbe", targets: ["ClusterProbe"]),
        .library(name: "RedisWire", targets: ["RedisWire"]),
        .library(name: "BackendConformance", targets: ["BackendConformance"]),
        .library(name: "RolloutJournal", targets: ["RolloutJournal"]),
        .library(name: "PlaybookVerifier", targets: ["PlaybookVerifier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // An async RESP client for the process backend and the probe: no Redis client for
        // Swift resolves here, and NIO gives event-driven sockets with timeouts.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // Latency percentiles of the client probe.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // The rollout journal and the lock table: SQLite transactions survive a crash at any
        // instant and serialize concurrent maintctl processes.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // TLS between clients, endpoints and servers when a cache asks for it (`tls:`):
        // SwiftNIO's own TLS, so every connection keeps its NIO pipeline.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "MaintenanceKit",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Plugins",
            dependencies: ["MaintenanceKit"],
            path: "Sources/Plugins/Steps",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SimulatedBackend",
            dependencies: ["MaintenanceKit"],
            path: "Sources/Plugins/Backends/Simulated",
            swiftSettings: strictSettings
        ),
        .target(
            name: "BackendConformance",
            dependencies: ["MaintenanceKit"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "RedisWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The node endpoint: a Redis proxy that serves one cache to clients that need not speak Redis Cluster.
        .target(
            name: "NodeEndpoint",
            dependencies: [
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The hot path touches class properties per command, each checked at run time for
            // exclusive access: 8 % of the endpoint's CPU in a profile. Its state lives on one
            // event loop, where accesses cannot overlap; debug builds keep the checks.
            swiftSettings: strictSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "maintctl-proxy",
            dependencies: [
                "NodeEndpoint", "RedisWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ClusterProbe",
            dependencies: [
                "MaintenanceKit", "RedisWire",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProcessBackend",
            dependencies: [
                "MaintenanceKit", "RedisWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Plugins/Backends/Process",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ContainerBackend",
            dependencies: [
                "MaintenanceKit", "ProcessBackend",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Plugins/Backends/Container",
            swiftSettings: strictSettings
        ),
        // Hosts reached over SSH with the system's OpenSSH client.
        .target(
            name: "SSHBackend",
            dependencies: ["MaintenanceKit", "ProcessBackend", "RedisWire", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Plugins/Backends/SSH",
            swiftSettings: strictSettings
        ),
        .target(
            name: "RolloutJournal",
            dependencies: [
                "MaintenanceKit",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The commands, in a library so that tests and harnesses run them in their own process.
        .target(
            name: "MaintctlCommands",
            dependencies: [
                "MaintenanceKit", "Plugins", "SimulatedBackend", "ProcessBackend", "ContainerBackend", "SSHBackend", "ClusterProbe", "RolloutJournal", "PlaybookVerifier", "RedisWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "maintctl", dependencies: ["MaintctlCommands"], swiftSettings: strictSettings),
        // Runs maintctl's commands with a journal that crashes the process after N writes (crash-recovery tests).
        .executableTarget(
            name: "maintctl-crash-harness",
            dependencies: ["MaintctlCommands", "MaintenanceKit", "RolloutJournal"],
            path: "Tests/CrashHarness",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PlaybookVerifier",
            dependencies: ["MaintenanceKit", "SimulatedBackend", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "PlaybookVerifierTests", dependencies: ["PlaybookVerifier", "MaintenanceKit", "Plugins"]),
        .testTarget(name: "MaintenanceKitTests", dependencies: ["MaintenanceKit", "Plugins"]),
        .testTarget(name: "PluginsTests", dependencies: ["Plugins", "MaintenanceKit", "SimulatedBackend"]),
        .testTarget(name: "SimulatedBackendTests", dependencies: ["SimulatedBackend", "MaintenanceKit", "Plugins", "BackendConformance"]),
        .testTarget(
            name: "MaintctlTests",
            dependencies: [
                "maintctl", "maintctl-proxy", "maintctl-crash-harness", "MaintctlCommands", "RolloutJournal", "MaintenanceKit", "ProcessBackend", "ContainerBackend", "LiveClusterSupport",
                "RedisWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RedisWireTests", dependencies: ["RedisWire"]),
        .testTarget(name: "SSHBackendTests", dependencies: ["SSHBackend", "ProcessBackend", "LiveClusterSupport", "MaintenanceKit"]),
        // The node endpoint, driven by real clients (redis-py, raw sockets) through live clusters.
        .testTarget(
            name: "EndpointTests",
            dependencies: [
                "NodeEndpoint", "maintctl-proxy", "LiveClusterSupport", "ProcessBackend", "ContainerBackend", "RedisWire", "MaintenanceKit",
                "Plugins", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Clients"]
        ),
        .testTarget(
            name: "RolloutJournalTests",
            dependencies: ["RolloutJournal", "MaintenanceKit", "Plugins", "SimulatedBackend", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Live clusters of real servers for the process and container backends' tests.
        .target(
            name: "LiveClusterSupport",
            dependencies: [
                "ProcessBackend", "ContainerBackend", "SSHBackend", "MaintenanceKit", "Plugins", "RedisWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/LiveClusterSupport"
        ),
        .testTarget(
            name: "ContainerBackendTests",
            dependencies: [
                "ContainerBackend", "maintctl-proxy", "ProcessBackend", "LiveClusterSupport", "MaintenanceKit", "Plugins", "RedisWire", "ClusterProbe",
                "BackendConformance", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ProcessBackendTests",
            dependencies: [
                "ProcessBackend", "maintctl-proxy", "LiveClusterSupport", "MaintenanceKit", "Plugins", "RedisWire", "ClusterProbe", "BackendConformance",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
