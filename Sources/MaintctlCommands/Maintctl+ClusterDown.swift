import ArgumentParser

extension Maintctl {
    struct ClusterDown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down",
            abstract: "Stop every process of the live cluster and remove what 'cluster up' or 'cluster adopt' wrote.",
            discussion: "Servers that 'cluster adopt' took over keep running (without maintctl's endpoints) unless --adopted-too is given.")

        @OptionGroup var live: LiveClusterOptions

        @Flag(help: "Stop the servers 'cluster adopt' took over too.")
        var adoptedToo = false

        func run() async throws {
            let cluster = try await live.open(checkingPassword: false, changingFor: "cluster down")
            do {
                try await cluster.down(adoptedToo: adoptedToo)
            } catch {
                Output.error("maintctl: cluster down: \(error)")
                throw Exit.failed
            }
            Output.line(adoptedToo ? "stopped every process of the cluster in \(live.state)"
                        : "stopped every process maintctl started for the cluster in \(live.state)")
        }
    }
}
