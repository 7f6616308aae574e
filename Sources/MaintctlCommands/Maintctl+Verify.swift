import ArgumentParser
import MaintenanceKit
import PlaybookVerifier

extension Maintctl {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove a playbook safe on the simulated backend: a fault after every backend operation, on every node, invariants checked after every event.",
            discussion: """
                Prints how many schedules were explored and held, and for each way the playbook breaks the shortest \
                schedule that shows it, as a trace pointing at the playbook's lines; replay one with \
                'maintctl run PLAYBOOK --dry-run --inject FAULT'. Exit code 1 when any schedule breaks an invariant.
                """)

        @OptionGroup var playbookOptions: PlaybookOptions

        @Option(help: "How many faults per schedule: single or double.")
        var faults: FaultDepth = .single

        @Option(help: "Fault kinds to inject, comma-separated: kill, pause (a stall long enough to be declared down), slow, partition.")
        var kinds: String = "kill"

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Option(help: "Seed of the simulated timings.")
        var seed: UInt64 = 1

        enum FaultDepth: String, ExpressibleByArgument, CaseIterable {
            case single, double
        }

        func validate() throws {
            for kind in kinds.split(separator: ",") where FaultKind(rawValue: String(kind)) == nil {
                throw ValidationError("unknown fault kind '\(kind)'; use kill, pause, slow or partition")
            }
        }

        func run() async throws {
            let registry = try Registry.make()
            let loaded = try playbookOptions.load(registry: registry)
            let prepared: PreparedPlan
            do {
                prepared = try PreparedPlan(try Planning.plan(loaded, registry: registry), registry: registry)
            } catch let error as DiagnosticsError {
                Output.printDiagnostics(error)
                throw Exit.invalidInput
            }
            let explorer = FaultExplorer(prepared: prepared, registry: registry,
                                         depth: faults == .single ? .single : .double,
                                         kinds: kinds.split(separator: ",").compactMap { FaultKind(rawValue: String($0)) }, seed: seed)
            let result = await explorer.explore()
            switch format {
            case .text: VerificationFormatter.lines(result, inventory: loaded.inventoryPath).forEach(Output.line)
            case .json: try Output.json(result)
            }
            if !result.isSafe { throw Exit.failed }
        }
    }
}
