import ArgumentParser
import MaintenanceKit

/// The playbook and inventory arguments `plan` and `run` share.
struct PlaybookOptions: ParsableArguments {
    @Argument(help: "The playbook file (YAML).")
    var playbook: String

    @Option(help: "Inventory file; overrides the playbook's 'inventory:'.")
    var inventory: String?

    init() {}

    /// The options of a command that takes them under other names.
    init(playbook: String, inventory: String?) {
        self.playbook = playbook
        self.inventory = inventory
    }

    /// Loads and validates the playbook and its inventory, printing every problem.
    /// - Throws: `Exit.invalidInput` after printing the diagnostics.
    func load(registry: PluginRegistry) throws -> LoadedPlaybook {
        do {
            return try PlaybookLoader(registry: registry).load(path: playbook, inventoryOverride: inventory)
        } catch {
            Output.printDiagnostics(error)
            throw Exit.invalidInput
        }
    }
}

/// Text or JSON output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
