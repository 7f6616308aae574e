import ArgumentParser

/// How `run` and `resume` execute and report.
struct ExecutionOptions: ParsableArguments {
    @Option(help: "Output format: text (a line per action, then a summary) or json (one summary object).")
    var format: OutputFormat = .text

    @Flag(help: "Write through the live cluster during the rollout and report what clients felt (process backend).")
    var probe = false

    @Option(help: "Probe writes per second per shard.")
    var probeRate = 200

    @Option(help: "Simulated backend: simulated seconds per real second, to watch (or interrupt) a simulated rollout as it goes.")
    var timeScale: Double?

    @Flag(help: "Log details to standard error.")
    var verbose = false

    @Option(help: .hidden)
    var crashAfterJournalWrites: Int?

    func validate() throws {
        if let timeScale, !(timeScale > 0 && timeScale.isFinite) {
            throw ValidationError("--time-scale must be a positive number of simulated seconds per real second")
        }
        guard (1...100_000).contains(probeRate) else { throw ValidationError("--probe-rate must be between 1 and 100000") }
    }
}
