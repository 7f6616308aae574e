import Logging
import MaintenanceKit
import RolloutJournal

/// The backend a journaled run acts on when it is resumed or rolled back.
enum JournaledBackend {
    /// The run's backend, made again from the journal: a simulated world as the journal last
    /// observed it (it does not outlive its process), or the live cluster of the run's state
    /// directory.
    /// - Parameter command: `resume` or `rollback`: a live cluster is held against other
    ///   maintctl processes as long as the backend lives.
    /// - Throws: `Exit.refused` when another maintctl changes the live cluster,
    ///   `Exit.invalidInput` after saying why the backend cannot be opened.
    static func open(_ snapshot: JournalSnapshot, timeScale: Double?, logger: Logger, command: String) async throws -> any Backend {
        let record = snapshot.record
        do {
            guard let factory = try? Registry.factory(record.backend) else {
                throw BackendError(.unknownBackend, "this maintctl has no backend '\(record.backend)' the run used")
            }
            let request = BackendRequest(inventory: snapshot.inventory, state: record.stateDirectory, seed: record.seed, timeScale: timeScale,
                                         detection: snapshot.plan.policy.failureDetection, logger: logger, command: command)
            return try await factory.rebuild(request, journaled: snapshot.caches.map(\.topology))
        } catch {
            throw BackendRefusal.exitCode(after: error, prefix: "maintctl: error: ")
        }
    }
}
