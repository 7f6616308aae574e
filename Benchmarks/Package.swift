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
        // Already a dependency of the parent package; named here for BenchClusterProbe below.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "maintctl-bench",
            dependencies: [
                .product(name: "MaintenanceKit", package: parent),
                .product(name: "Plugins", package: parent),
                .product(name: "SimulatedBackend", package: parent),
                .product(name: "ProcessBackend", package: parent),
                "BenchClusterProbe",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        // The parent's ClusterProbe sources, compiled here under another module name (target names
        // must be unique across the package graph): Sources/BenchClusterProbe is a symbolic link
        // to ../../Sources/ClusterProbe, because the parent exports neither ClusterProbe nor RedisWire
        // as a product. Their `import RedisWire`, like the bench's, finds the module built for the
        // ProcessBackend product. Once the parent adds `.library(name: "ClusterProbe", …)` and
        // `.library(name: "RedisWire", …)`, depend on those products and delete this target and the link.
        .target(
            name: "BenchClusterProbe",
            dependencies: [
                .product(name: "MaintenanceKit", package: parent),
                .product(name: "ProcessBackend", package: parent),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
