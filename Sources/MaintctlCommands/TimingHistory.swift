import Foundation
import MaintenanceKit
import RolloutJournal

/// What plans predict from: the backend's own timing model and, for a backend that drives real
/// servers, the actions that earlier runs on it finished (their journals, newest first).
enum TimingHistory {
    /// How many earlier runs refine a prediction.
    static let runsConsulted = 5

    static func calibration(for backend: String, home: MaintctlHome = CommandEnvironment.current.maintctlHome) -> TimingCalibration {
        guard let factory = try? Registry.factory(backend) else {
            return TimingCalibration(backend: backend, model: TimingModel(), samples: [], runs: 0)
        }
        // A simulation's model is its truth: its own runs teach nothing.
        guard factory.drivesLiveCluster, FileManager.default.fileExists(atPath: home.controlDatabase),
              let journals = try? ControlDatabase(home: home).journals(of: backend, limit: 4 * runsConsulted) else {
            return TimingCalibration(backend: backend, model: factory.timingModel, samples: [], runs: 0)
        }
        var samples: [TimingCalibration.Sample] = []
        var runs = 0
        // Each journal is read once (`history` would open every one for its status first).
        for journal in journals where runs < runsConsulted {
            guard let snapshot = try? JournalFile.open(at: journal).snapshot() else { continue }
            let finished = snapshot.attempts.filter { $0.state == "succeeded" }.compactMap { attempt -> TimingCalibration.Sample? in
                guard let result = attempt.result, let timing = result.timing else { return nil }
                return TimingCalibration.Sample(step: attempt.plugin, duration: .milliseconds(timing.durationMS),
                                                syncs: result.syncs, failovers: result.failovers)
            }
            guard !finished.isEmpty else { continue }
            samples += finished
            runs += 1
        }
        return TimingCalibration(backend: backend, model: factory.timingModel, samples: samples, runs: runs)
    }
}
