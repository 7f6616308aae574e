import ArgumentParser

extension Maintctl {
    struct Cluster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start, inspect and stop a live cluster for the process backend.",
            subcommands: [ClusterUp.self, ClusterStatus.self, ClusterDown.self])
    }
}
