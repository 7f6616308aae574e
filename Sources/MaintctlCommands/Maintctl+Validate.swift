import ArgumentParser
import MaintenanceKit

extension Maintctl {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check playbooks and their inventories; print every problem as file:line:col: error: …")

        @Argument(help: "Playbook files.")
        var playbooks: [String]

        @Option(help: "Inventory file; overrides each playbook's 'inventory:'.")
        var inventory: String?

        func run() async throws {
            let registry = try Registry.make()
            var problems: [Diagnostic] = []
            for path in playbooks {
                do {
                    let loaded = try PlaybookLoader(registry: registry).load(path: path, inventoryOverride: inventory)
                    // A playbook is valid only if it can be planned safely against its inventory.
                    let plan = try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
                    Output.line("\(path): ok (\(loaded.playbook.invocations.count) steps, \(plan.actionCount) actions "
                                + "on \(plan.caches.count) caches, inventory \(loaded.inventoryPath))")
                } catch {
                    problems += error.diagnostics
                }
            }
            guard problems.isEmpty else {
                Output.printDiagnostics(DiagnosticsError(problems))
                throw Exit.invalidInput
            }
        }
    }
}
