import Foundation
import MaintenanceKit
import RolloutJournal

/// The locks this process holds for a run, renewed by ``renew(stop:)`` while the run goes on.
final class HeldLocks: Sendable {
    private let control: ControlDatabase
    private let holder: LockHolder

    /// Takes every lock of `record` for this process, or prints who holds one and refuses.
    /// - Throws: `Exit.refused` when another live run holds a lock; `Exit.invalidInput` when
    ///   the lock database cannot be used.
    init(for record: RunRecord, journal: String) throws {
        do {
            control = try ControlDatabase(home: CommandEnvironment.current.maintctlHome)
        } catch {
            Output.error("maintctl: \(error)")
            throw Exit.invalidInput
        }
        holder = LockHolder(runID: record.id, journal: journal)
        do {
            try control.acquire(record.lockKeys, for: holder)
        } catch let conflict as LockConflict {
            Output.error("maintctl: refused: \(conflict)")
            Output.error("maintctl: caches that share a resource group and region are patched one at a time; wait for that run, "
                         + "or stop it with: maintctl abort \(conflict.holder.journal)")
            throw Exit.refused
        } catch {
            Output.error("maintctl: cannot take the maintenance locks: \(error)")
            throw Exit.invalidInput
        }
    }

    /// Renews the leases until the calling task is cancelled. A renewal that fails is said; when
    /// the leases could not be renewed for half their length, the rollout is asked to stop at
    /// its next safe point, before another maintctl may take a lock over.
    func renew(stop: StopSignal) async {
        let interval = Duration.seconds(ControlDatabase.lease / 4)
        var lastRenewed = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            do {
                let control = control, runID = holder.runID
                try await Blocking.run { try control.renew(runID: runID) }
                lastRenewed = .now
            } catch {
                Output.error("maintctl: warning: could not renew the maintenance locks: \(error)")
                if ContinuousClock.now - lastRenewed > .seconds(ControlDatabase.lease / 2) {
                    Output.error("maintctl: stopping after the action in flight: the maintenance locks could not be renewed")
                    stop.request()
                }
            }
        }
    }

    /// Gives the locks back.
    func release() {
        try? control.release(holder)
    }
}
