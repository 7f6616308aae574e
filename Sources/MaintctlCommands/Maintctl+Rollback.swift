import ArgumentParser
import Foundation
import MaintenanceKit
import RolloutJournal

extension Maintctl {
    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo a rollout whose old nodes still exist: primaries move back to them, the new nodes are removed.",
            discussion: """
                Possible for each cache until its delete_vms step ran. The old nodes are brought back, leadership \
                returns, every copy moves back from its new node (full sync, then a planned failover for primaries), \
                and the new nodes are removed and deleted. The rollback has a journal of its own (printed at start); \
                'maintctl resume' continues it after an interruption. Maintenance windows do not hold a rollback back.
                """)

        @OptionGroup var journalArgument: JournalArgument
        @OptionGroup var options: ExecutionOptions

        func run() async throws {
            let (file, snapshot) = try journalArgument.open()
            let original = snapshot.record
            guard original.kind == .rollout else {
                Output.error("maintctl: error: \(file.path): this journal is itself a rollback; resume it instead")
                throw Exit.invalidInput
            }
            try journalArgument.refuseIfRunning(snapshot)
            guard snapshot.status != .rolledBack else {
                Output.error("maintctl: \(file.path): already rolled back")
                return
            }
            let registry = try Registry.make()
            let irreversible = snapshot.attempts.filter { registry.step($0.plugin)?.descriptor.isIrreversible ?? true }
            let deleting = Set(irreversible.map(\.cache))
            for cache in deleting.sorted() {
                let steps = Set(irreversible.filter { $0.cache == cache }.map(\.plugin)).sorted().joined(separator: ", ")
                Output.error("maintctl: \(cache) is kept as it is: its \(steps) step ran, which cannot be undone")
            }
            let logger = Registry.logger(verbose: options.verbose)
            let backend = try await JournaledBackend.open(snapshot, timeScale: options.timeScale, logger: logger, command: "rollback")
            let name = "rollback of \(snapshot.plan.playbook)"
            let plan: MaintenanceKit.Plan
            do {
                var topologies: [CacheTopology] = []
                for cache in snapshot.plan.caches where !deleting.contains(cache.cache) {
                    topologies.append(try await backend.topology(of: cache.cache))
                }
                plan = try RollbackPlanner(registry: registry).plan(undoing: snapshot.plan, topologies: topologies, name: name)
            } catch {
                Output.error("maintctl: error: cannot roll back \(file.path): \(error)")
                throw Exit.invalidInput
            }
            guard plan.actionCount > 0 else {
                let nothing = "nothing to roll back: no cache has new nodes left"
                if options.format == .json {
                    try Output.json(RolloutSummary.nothingToRun(backend: backend.descriptor.id, playbook: name))
                    Output.error("maintctl: " + nothing)
                } else {
                    Output.line(nothing)
                }
                if deleting.isEmpty { Self.markRolledBack(file.path) }
                return
            }
            var record = RunRecord(id: UUID().uuidString.lowercased(), playbookPath: original.playbookPath, backend: original.backend,
                                   stateDirectory: original.stateDirectory, seed: original.seed,
                                   caches: Dictionary(plan.caches.map { ($0.cache, $0.placement) }, uniquingKeysWith: { first, _ in first }))
            record.kind = .rollback
            // Only a rollback of every cache marks the rollout rolled back (also when resumed).
            record.undoes = deleting.isEmpty ? file.path : nil
            let path = Self.rollbackJournalPath(for: file.path)
            let locks = try HeldLocks(for: record, journal: path)
            defer { locks.release() }
            let journal = try await NewJournal.create(at: path, record: record, plan: plan, inventory: snapshot.inventory,
                                                      backend: backend, label: "rollback journal")
            var rollbackOptions = options
            rollbackOptions.now = true
            let faults = try InjectedFaults.resolve(plan, injecting: options.faults, backend: backend)
            let session = RolloutSession(plan: plan, registry: registry, backend: backend, journal: journal, locks: locks,
                                         faults: faults, options: rollbackOptions, seed: original.seed, logger: logger)
            try await session.execute("rollback")
            if let undone = record.undoes { Self.markRolledBack(undone) }
        }

        /// `run.sqlite` → `run-rollback.sqlite` (or `-rollback-2`, … when taken).
        static func rollbackJournalPath(for path: String) -> String {
            let base = path.hasSuffix(".sqlite") ? String(path.dropLast(".sqlite".count)) : path
            var candidate = base + "-rollback.sqlite"
            var counter = 2
            while FileManager.default.fileExists(atPath: candidate), counter < 1000 {
                candidate = base + "-rollback-\(counter).sqlite"
                counter += 1
            }
            return candidate
        }

        /// Records in the rollout's journal that it was rolled back.
        static func markRolledBack(_ journal: String) {
            do {
                try JournalFile.open(at: journal).markRolledBack()
            } catch {
                Output.error("maintctl: could not mark \(journal) rolled back: \(error)")
            }
        }
    }
}
