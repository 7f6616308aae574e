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
            var failed = false
            for path in playbooks {
                do {
                    let loaded = try PlaybookLoader(registry: registry).load(path: path, inventoryOverride: inventory)
                    Output.line("\(path): ok (\(loaded.playbook.invocations.count) steps, inventory \(loaded.inventoryPath))")
                } catch {
                    failed = true
                    for diagnostic in error.diagnostics { Output.error(diagnostic.description) }
                }
            }
            if failed { throw Exit.invalidInput }
        }
    }
}
