import MaintenanceKit
import RolloutJournal

/// The start of a journaled run (`run`, `rollback`): its journal, with each planned cache as
/// the backend sees it now, listed in the history.
enum NewJournal {
    /// Creates the journal at `path` and says where it is.
    /// - Throws: `Exit.invalidInput` after printing why the journal cannot be created.
    static func create(at path: String, record: RunRecord, plan: MaintenanceKit.Plan, inventory: Inventory,
                       backend: any Backend, label: String = "journal") async throws -> JournalFile {
        let file: JournalFile
        do {
            var topologies: [CacheTopology] = []
            for cache in plan.caches { topologies.append(try await backend.topology(of: cache.cache)) }
            file = try JournalFile.create(at: path, record: record, plan: plan, inventory: inventory, topologies: topologies)
            try? ControlDatabase(home: CommandEnvironment.current.maintctlHome).register(record, journal: path)
        } catch {
            Output.error("maintctl: \(error)")
            throw Exit.invalidInput
        }
        Output.error("maintctl: \(label) \(path) (resume with: maintctl resume \(path))")
        return file
    }
}
