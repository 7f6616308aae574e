import ArgumentParser
import Foundation
import MaintenanceKit
import SimulatedBackend

extension Maintctl {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a rollout would do: caches in schedule order, every action, expected failovers, predicted duration.",
            discussion: """
                With -o FILE the plan is also written as JSON, to review and then apply exactly: \
                'maintctl run --plan FILE'. Against a live cluster (--backend process|container --state DIR) the plan \
                is made from the cluster as it is; a run of it later refuses a cluster that changed since.
                """)

        @OptionGroup var options: PlaybookOptions

        @Option(help: "Output format: text or json (the plan file's document).")
        var format: OutputFormat = .text

        @Option(name: [.customShort("o"), .long], help: "Write the plan to this file (JSON), for 'maintctl run --plan'.")
        var output: String?

        @Option(help: "Plan against this backend's fleet: \(Registry.backendIDs).")
        var backend: String = SimulatedBackend.descriptor.id

        @Option(help: "State directory of a live cluster (process or container backend), as given to 'cluster up'.")
        var state: String?

        func validate() throws {
            try Registry.validate(backend: backend)
            if let output {
                let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
                for input in [options.playbook] + (options.inventory.map { [$0] } ?? [])
                where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == target {
                    throw ValidationError("-o \(output) would overwrite the input \(input); write the plan to another file")
                }
            }
        }

        func run() async throws {
            let registry = try Registry.make()
            let loaded = try options.load(registry: registry)
            let (_, inventory, source) = try await Planning.fleet(backend, state: state, inventory: loaded.inventory,
                                                                  policy: loaded.playbook.policy, command: "plan")
            let plan = try Planning.plan(LoadedPlaybook(playbook: loaded.playbook, inventory: inventory, inventoryPath: loaded.inventoryPath),
                                         registry: registry, source: source, backend: backend)
            if let output { try Planning.write(plan, to: output) }
            switch format {
            case .text: PlanFormatter.lines(plan).forEach(Output.line)
            case .json: Output.line(String(decoding: try PlanFile.data(of: plan), as: UTF8.self).trimmingCharacters(in: .newlines))
            }
        }
    }
}
