import ArgumentParser

extension Maintctl {
    struct Cluster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start or adopt, inspect and stop a live cluster for the process and container backends.",
            subcommands: [ClusterUp.self, ClusterAdopt.self, ClusterStatus.self, ClusterDown.self])
    }
}
