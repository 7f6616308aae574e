import ArgumentParser

extension Maintctl {
    struct ClusterDown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down", abstract: "Stop every process of the live cluster and remove what 'cluster up' wrote.")

        @OptionGroup var live: LiveClusterOptions

        func run() async throws {
            let cluster = try live.open()
            do {
                try await cluster.down()
            } catch {
                Output.error("maintctl: cluster down: \(error)")
                throw Exit.failed
            }
            Output.line("stopped every process of the cluster in \(live.state)")
        }
    }
}
