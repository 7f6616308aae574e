import ArgumentParser
import Foundation
import Logging
import MaintenanceKit
import RolloutJournal
import SimulatedBackend

extension Maintctl {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate, plan and execute a playbook, journaled; Ctrl-C stops after the action in flight.",
            discussion: """
                Every run (but a dry run) takes a lock on each cache it touches and on each resource group and \
                region, and writes a journal (SQLite) that 'maintctl resume', 'status', 'abort' and 'rollback' read.
                """)

        @OptionGroup var playbookOptions: PlaybookOptions
        @OptionGroup var options: ExecutionOptions

        @Option(help: "Backend: \(Registry.backends.map(\.id).joined(separator: ", ")).")
        var backend: String = SimulatedBackend.descriptor.id

        @Flag(help: "Run on the simulated backend, whatever --backend says: what the plan would do, touching nothing (no journal, no locks).")
        var dryRun = false

        @Option(help: "State directory of a live cluster (process backend), as given to 'cluster up'.")
        var state: String?

        @Option(help: "Seed of the simulated backend's random timings.")
        var seed: UInt64 = 1

        @Option(help: "Journal file to create (default: a new file under $MAINTCTL_HOME/journals, or ~/.maintctl/journals).")
        var journal: String?

        func validate() throws {
            guard Registry.backends.contains(where: { $0.id == backend }) else {
                throw ValidationError("unknown backend '\(backend)'; available: \(Registry.backends.map(\.id).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let registry = try Registry.make()
            let loaded = try playbookOptions.load(registry: registry)
            let logger = Registry.logger(verbose: options.verbose)
            let chosen = dryRun ? SimulatedBackend.descriptor.id : backend
            let (target, inventory): (any Backend, Inventory)
            do {
                (target, inventory) = try await Registry.makeBackend(chosen, inventory: loaded.inventory, seed: seed, state: state,
                                                                     timeScale: options.timeScale,
                                                                     detection: loaded.playbook.policy.failureDetection, logger: logger)
            } catch {
                Output.error("maintctl: \(error)")
                throw Exit.invalidInput
            }
            let plan = try Planning.plan(LoadedPlaybook(playbook: loaded.playbook, inventory: inventory,
                                                        inventoryPath: loaded.inventoryPath), registry: registry)
            let faults = try InjectedFaults.resolve(loaded.playbook, injecting: options.faults, plan: plan,
                                                    inventory: inventory, backend: target)
            var session = RolloutSession(playbook: loaded.playbook, plan: plan, registry: registry, backend: target,
                                         journal: nil, faults: faults, options: options, seed: seed, logger: logger)
            if dryRun { return try await session.execute("dry-run") }
            try options.refuseOutsideWindows(loaded.playbook.maintenanceWindows)

            let record = RunRecord(
                id: UUID().uuidString.lowercased(), playbookPath: Self.absolute(loaded.playbook.path),
                playbookFingerprint: Fingerprint.of(file: loaded.playbook.path) ?? "", backend: chosen,
                stateDirectory: state.map(Self.absolute), seed: seed,
                caches: Dictionary(plan.caches.map { ($0.cache, $0.placement) }, uniquingKeysWith: { first, _ in first }))
            let path = journal.map(Self.absolute) ?? MaintctlHome.current.newJournalPath(playbook: loaded.playbook.name, runID: record.id)
            let locks = try HeldLocks(for: record, journal: path)
            defer { locks.release() }
            session.journal = try await NewJournal.create(at: path, record: record, plan: plan, inventory: inventory, backend: target)
            try await session.execute("run")
        }

        static func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
    }
}
