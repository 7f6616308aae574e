import ArgumentParser
import Logging
import MaintenanceKit
import ProcessBackend
import SimulatedBackend

extension Maintctl {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate, plan and execute a playbook; Ctrl-C stops after the action in flight.")

        @OptionGroup var options: PlaybookOptions

        @Option(help: "Backend: \(Registry.backends.map(\.id).joined(separator: ", ")).")
        var backend: String = SimulatedBackend.descriptor.id

        @Option(help: "Output format: text (a line per action, then a summary) or json (one summary object).")
        var format: OutputFormat = .text

        @Flag(help: "Run on the simulated backend, whatever --backend says: what the plan would do, without touching anything.")
        var dryRun = false

        @Option(help: "State directory of a live cluster (process backend), as given to 'cluster up'.")
        var state: String?

        @Option(help: "Seed of the simulated backend's random timings.")
        var seed: UInt64 = 1

        @Flag(help: "Write through the live cluster during the rollout and report what clients felt (process backend).")
        var probe = false

        @Option(help: "Probe writes per second per shard.")
        var probeRate = 200

        @Flag(help: "Log details to standard error.")
        var verbose = false

        func validate() throws {
            guard Registry.backends.contains(where: { $0.id == backend }) else {
                throw ValidationError("unknown backend '\(backend)'; available: \(Registry.backends.map(\.id).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let registry = try Registry.make()
            let loaded = try options.load(registry: registry)
            var logger = Logger(label: "maintctl")
            logger.logLevel = verbose ? .debug : .warning
            let chosen = dryRun ? SimulatedBackend.descriptor.id : backend
            let (target, inventory): (any Backend, Inventory)
            do {
                (target, inventory) = try await Registry.makeBackend(chosen, inventory: loaded.inventory, seed: seed,
                                                                     state: state, logger: logger)
            } catch {
                Output.error("maintctl: \(error)")
                throw Exit.invalidInput
            }
            let plan = try Planning.plan(LoadedPlaybook(playbook: loaded.playbook, inventory: inventory,
                                                        inventoryPath: loaded.inventoryPath), registry: registry)
            let stop = StopSignal()
            let interrupts = InterruptHandler(stop: stop)
            defer { interrupts.cancel() }
            let text = TextReporter(write: format == .json ? Output.error : Output.line)
            // Simulated caches run ahead of one another in real time: print in virtual-time order.
            let reporter: any RolloutReporter = target.clock.isVirtual ? TimeOrderedReporter(passingTo: text) : text
            let runtime = RolloutRuntime(plan: plan, playbook: loaded.playbook, registry: registry, backend: target,
                                         reporter: reporter, stop: stop, logger: logger, seed: seed)
            var summary: RolloutSummary
            if probe {
                guard let cluster = target as? ProcessBackend else {
                    Output.error("maintctl: --probe writes through a live cluster; use it with --backend process --state DIR")
                    throw Exit.invalidInput
                }
                let (measured, impact) = try await ProbeSession.measure(cluster, writesPerSecond: probeRate) { await runtime.run() }
                summary = measured
                summary.record(impact)
                if format == .text { TextReporter.impactLines(impact).forEach(Output.line) }
            } else {
                summary = await runtime.run()
            }
            if format == .json { try Output.json(summary) }
            switch summary.status {
            case .succeeded: return
            case .failed: throw Exit.failed
            case .aborted: throw Exit.stopped
            }
        }
    }
}
