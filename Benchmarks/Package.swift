// swift-tools-version: 6.1
// Benchmarks for maintctl, kept out of the main package so `swift test` never builds them.
// Run from this directory: swift run -c release maintctl-bench
import PackageDescription

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
                .product(name: "MaintenanceKit", package: "main"),
                .product(name: "Plugins", package: "main"),
                .product(name: "SimulatedBackend", package: "main"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
