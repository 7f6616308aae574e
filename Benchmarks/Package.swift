// swift-tools-version: 6.1
// Benchmarks for maintctl, kept out of the main package so `swift test` never builds them.
// Run from this directory: swift run -c release maintctl-bench
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its directory, whatever the clone is called.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "maintctl-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // Already a dependency of the parent package; named here because the bench makes a Logger.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "maintctl-bench",
            dependencies: [
                .product(name: "MaintenanceKit", package: parent),
                .product(name: "Plugins", package: parent),
                .product(name: "SimulatedBackend", package: parent),
                .product(name: "ProcessBackend", package: parent),
                .product(name: "ContainerBackend", package: parent),
                .product(name: "ClusterProbe", package: parent),
                .product(name: "RedisWire", package: parent),
                .product(name: "RolloutJournal", package: parent),
                .product(name: "PlaybookVerifier", package: parent),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
