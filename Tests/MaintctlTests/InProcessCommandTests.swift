import ArgumentParser
import Foundation
import MaintctlCommands
import MaintenanceKit
import RolloutJournal
import Synchronization
import Testing

/// Commands run in the test's own process through the commands library, with the journal
/// watched through the environment a host program may set.
@Suite struct InProcessCommandTests {
    /// Counts the writes a rollout makes to its journal.
    final class JournalWatcher: Sendable {
        private let counts = Mutex((intents: 0, outcomes: 0, caches: 0))
        var intents: Int { counts.withLock { $0.intents } }
        var outcomes: Int { counts.withLock { $0.outcomes } }
        var caches: Int { counts.withLock { $0.caches } }

        func watch(_ journal: any MaintenanceKit.RolloutJournal) -> any MaintenanceKit.RolloutJournal { Watched(journal: journal, watcher: self) }

        struct Watched: MaintenanceKit.RolloutJournal {
            let journal: any MaintenanceKit.RolloutJournal
            let watcher: JournalWatcher
            func recordIntent(_ action: PlannedAction, attempt: Int) async throws {
                try await journal.recordIntent(action, attempt: attempt)
                watcher.counts.withLock { $0.intents += 1 }
            }
            func recordOutcome(_ action: PlannedAction, attempt: Int, result: ActionResult, observed: CacheTopology?) async throws {
                try await journal.recordOutcome(action, attempt: attempt, result: result, observed: observed)
                watcher.counts.withLock { $0.outcomes += 1 }
            }
            func recordCacheFinished(_ outcome: CacheOutcome) async throws {
                try await journal.recordCacheFinished(outcome)
                watcher.counts.withLock { $0.caches += 1 }
            }
            func isAbortRequested() async -> Bool { await journal.isAbortRequested() }
        }
    }

    /// Runs `maintctl arguments…` in this process.
    static func maintctl(_ arguments: [String]) async throws {
        let command = try Maintctl.parseAsRoot(arguments)
        var runnable = try #require(command as? any AsyncParsableCommand)
        try await runnable.run()
    }

    @Test func aPlanFileRunsInProcessAndEveryActionGoesThroughTheJournal() async throws {
        let directory = try CLI.temporaryDirectory("inprocess")
        let watcher = JournalWatcher()
        var environment = CommandEnvironment()
        environment.home = MaintctlHome(path: directory + "/home")
        environment.journal = { watcher.watch($0) }
        let playbook = try JournalCommandLineTests.playbook(caches: ["pay-weu-2"])
        try await CommandEnvironment.$current.withValue(environment) {
            try await Self.maintctl(["plan", playbook, "-o", directory + "/plan.json"])
            try await Self.maintctl(["run", "--plan", directory + "/plan.json", "--journal", directory + "/run.sqlite"])
        }
        let snapshot = try JournalFile.open(at: directory + "/run.sqlite").snapshot()
        #expect(snapshot.status == .succeeded)
        #expect(watcher.intents == snapshot.plan.actionCount && watcher.outcomes == snapshot.plan.actionCount)
        #expect(watcher.caches == 1)
        #expect(FileManager.default.fileExists(atPath: directory + "/home/maintctl.sqlite"), "locks and history in the environment's home")
    }
}
