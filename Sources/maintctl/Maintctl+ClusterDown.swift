import ArgumentParser
import Logging
import ProcessBackend

extension Maintctl {
    struct ClusterDown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down", abstract: "Stop every process of the live cluster and remove what 'cluster up' wrote.")

        @Option(help: "State directory given to 'cluster up'.")
        var state: String

        func run() async throws {
            let cluster: ProcessBackend
            do {
                cluster = try ProcessBackend(directory: state, logger: Logger(label: "maintctl"))
            } catch {
                Output.error("maintctl: \(error)")
                throw Exit.invalidInput
            }
            await cluster.down()
            Output.line("stopped every process of the cluster in \(state)")
        }
    }
}
