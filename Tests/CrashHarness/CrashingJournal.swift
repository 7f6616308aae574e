import Foundation
import MaintenanceKit
import RolloutJournal
import Synchronization

/// Passes writes on to the real journal and ends the process abruptly, without any cleanup,
/// right after the Nth is committed. Odd N stop after an intent (an action half-done), even N
/// after an outcome. A journal that gathers writes to commit them together (the simulated
/// backend's) commits what it gathered first: the crash then comes where a batch ended, and
/// every write can be such a place.
final class CrashingJournal: RolloutJournal {
    private let journal: any RolloutJournal
    private let remaining: Mutex<Int>

    init(_ journal: any RolloutJournal, crashAfter writes: Int) {
        self.journal = journal
        self.remaining = Mutex(writes)
    }

    private func count() async {
        let crash = remaining.withLock { left -> Bool in
            left -= 1
            return left == 0
        }
        guard crash else { return }
        if let file = journal as? JournalFile {
            do { try await file.commitPending() } catch { _exit(1) }
        }
        _exit(CrashHarness.crashedOnPurpose)
    }

    func recordIntent(_ action: PlannedAction, attempt: Int) async throws {
        try await journal.recordIntent(action, attempt: attempt)
        await count()
    }

    func recordOutcome(_ action: PlannedAction, attempt: Int, result: ActionResult, observed: CacheTopology?) async throws {
        try await journal.recordOutcome(action, attempt: attempt, result: result, observed: observed)
        await count()
    }

    func recordCacheFinished(_ outcome: CacheOutcome) async throws { try await journal.recordCacheFinished(outcome) }
    func isAbortRequested() async -> Bool { await journal.isAbortRequested() }
}
