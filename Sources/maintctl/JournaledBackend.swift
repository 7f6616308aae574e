import ContainerBackend
import Logging
import MaintenanceKit
import ProcessBackend
import RolloutJournal
import SimulatedBackend

/// The backend a journaled run acts on when it is resumed or rolled back.
enum JournaledBackend {
    /// A simulated world as the journal last observed it (it does not outlive its process),
    /// or the live cluster of the run's state directory.
    /// - Throws: `Exit.invalidInput` after saying why the backend cannot be opened.
    static func open(_ snapshot: JournalSnapshot, timeScale: Double?, logger: Logger) throws -> any Backend {
        let record = snapshot.record
        do {
            switch record.backend {
            case SimulatedBackend.descriptor.id:
                var config = SimulationConfig(seed: record.seed)
                config.detection = snapshot.plan.policy.failureDetection
                return SimulatedBackend(topologies: snapshot.caches.map(\.topology), config: config, clock: VirtualClock(timeScale: timeScale))
            case ProcessBackend.descriptor.id, ContainerBackend.descriptor.id:
                guard let state = record.stateDirectory else { throw BackendError(.stateRequired, "the journal names no state directory") }
                return try Registry.attach(record.backend, state: state, detection: snapshot.plan.policy.failureDetection, logger: logger)
            default:
                throw BackendError(.unknownBackend, "this maintctl has no backend '\(record.backend)' the run used")
            }
        } catch {
            Output.error("maintctl: error: \(error)")
            throw Exit.invalidInput
        }
    }
}
