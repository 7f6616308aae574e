import Foundation
import MaintenanceKit

/// Finds the parent package's files (playbooks, inventories) from the benchmark.
enum RepositoryFiles {
    /// The parent package's root: `MAINTCTL_ROOT` if set, else the directory above the
    /// `Benchmarks` package this file was compiled from, else the parent of the current directory.
    static var root: String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["MAINTCTL_ROOT"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        // #filePath: <root>/Benchmarks/Sources/maintctl-bench/RepositoryFiles.swift
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Playbooks").path) {
            return url.path
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent().path
    }

    /// `Playbooks/rolling-patch.yaml`.
    static var rollingPatch: String { root + "/Playbooks/rolling-patch.yaml" }
    /// `Playbooks/inventories/demo-fleet.yaml`.
    static var demoFleet: String { root + "/Playbooks/inventories/demo-fleet.yaml" }
    /// `Playbooks/inventories/local-cluster.yaml`.
    static var localCluster: String { root + "/Playbooks/inventories/local-cluster.yaml" }

    /// Reads a source file, turning the loader's diagnostics into a benchmark failure.
    static func read(_ path: String) throws -> SourceFile {
        do {
            return try SourceFile(contentsOf: path)
        } catch {
            throw BenchmarkFailure("cannot read \(path): \(error)")
        }
    }
}
