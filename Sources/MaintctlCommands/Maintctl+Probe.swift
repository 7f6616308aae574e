import ArgumentParser
import MaintenanceKit
import ProcessBackend

extension Maintctl {
    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write through a live cluster like a cluster-aware client and report what it felt.")

        @OptionGroup var live: LiveClusterOptions

        @Option(help: "How long to write (e.g. 30s, 5m); Ctrl-C stops earlier.")
        var duration: String = "10s"

        @Option(help: "Writes per second per shard.")
        var rate = 200

        @Option(help: "A write counts as acknowledged only once this many replicas confirm it (WAIT); 0 for the primary's OK.")
        var wait = 0

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            guard ConfigDuration(parsing: duration) != nil else { throw ValidationError("--duration '\(duration)' is not a duration like 30s or 5m") }
            guard (1...100_000).contains(rate) else { throw ValidationError("--rate must be between 1 and 100000") }
            guard (0...5).contains(wait) else { throw ValidationError("--wait must be between 0 and 5 replicas") }
        }

        func run() async throws {
            let cluster = try await live.open()
            let limit = ConfigDuration(parsing: duration)?.duration ?? .seconds(10)
            let stop = StopSignal()
            let interrupts = InterruptHandler(stop: stop)
            defer { interrupts.cancel() }
            let (_, impact) = try await ProbeSession.measure(cluster, writesPerSecond: rate, confirmingReplicas: wait, reloading: true) {
                let deadline = ContinuousClock.now + limit
                while ContinuousClock.now < deadline, !stop.isRequested { try? await Task.sleep(for: .milliseconds(50)) }
            }
            await cluster.close()
            switch format {
            case .json: try Output.json(impact)
            case .text: TextReporter.impactLines(impact).forEach(Output.line)
            }
            if impact.acknowledgedWritesLost > 0 || impact.acknowledgedWritesUnverified > 0 { throw Exit.failed }
        }
    }
}
