import Foundation
import RolloutJournal

/// The locks this process holds for a run, renewed in the background until released.
final class HeldLocks: Sendable {
    private let control: ControlDatabase
    private let holder: LockHolder
    private let renewal: Task<Void, Never>

    /// Takes every lock of `record` for this process, or prints who holds one and refuses.
    /// - Throws: `Exit.refused` when another live run holds a lock; `Exit.invalidInput` when
    ///   the lock database cannot be used.
    init(for record: RunRecord, journal: String) throws {
        do {
            control = try ControlDatabase(home: .current)
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
        let control = control, runID = record.id
        renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(ControlDatabase.lease / 4))
                try? control.renew(runID: runID)
            }
        }
    }

    /// Stops renewing and gives the locks back.
    func release() {
        renewal.cancel()
        try? control.release(holder)
    }
}
