import ArgumentParser
import Foundation
import Logging
import MaintenanceKit
import RolloutJournal
import SimulatedBackend

extension Maintctl {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate, plan and execute a playbook, or execute a plan file, journaled; Ctrl-C stops after the action in flight.",
            discussion: """
                Every run (but a dry run) takes a lock on each cache it touches and on each resource group and \
                region, and writes a journal (SQLite) that 'maintctl resume', 'status', 'abort' and 'rollback' read. \
                With --plan FILE (from 'maintctl plan -o FILE') exactly that plan runs; a live cluster that no longer \
                matches what the plan was made from is refused, with each difference named, and nothing runs.
                """)

        @Argument(help: "The playbook file (YAML); or give --plan.")
        var playbook: String?

        @Option(help: "Inventory file; overrides the playbook's 'inventory:'.")
        var inventory: String?

        @Option(name: .customLong("plan"), help: "Execute this plan file (from 'maintctl plan -o') instead of planning a playbook.")
        var planFile: String?

        @OptionGroup var options: ExecutionOptions

        @Option(help: "Backend: \(Registry.backendIDs).")
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
            try Registry.validate(backend: backend)
            switch (playbook, planFile) {
            case (nil, nil): throw ValidationError("give a playbook to plan and run, or --plan FILE to run a plan made before")
            case (.some, .some): throw ValidationError("give a playbook or --plan FILE, not both")
            default: break
            }
            if planFile != nil, inventory != nil {
                throw ValidationError("--inventory plans a playbook; a plan file carries the fleet it was made against")
            }
        }

        func run() async throws {
            let registry = try Registry.make()
            let logger = Registry.logger(verbose: options.verbose)
            let chosen = dryRun ? SimulatedBackend.descriptor.id : backend
            let plan: MaintenanceKit.Plan, target: any Backend
            if let planFile {
                let loaded = try Planning.load(planFile, registry: registry)
                let fleet = try await Planning.fleet(chosen, state: state, inventory: loaded.basis.inventory, policy: loaded.policy,
                                                     seed: seed, timeScale: options.timeScale, logger: logger, command: "run")
                if Registry.isLive(chosen) { try Planning.refuseIfStale(loaded, live: fleet.inventory, path: planFile) }
                (plan, target) = (loaded, fleet.backend)
            } else {
                let loaded = try PlaybookOptions(playbook: playbook ?? "", inventory: inventory).load(registry: registry)
                let fleet = try await Planning.fleet(chosen, state: state, inventory: loaded.inventory, policy: loaded.playbook.policy,
                                                     seed: seed, timeScale: options.timeScale, logger: logger, command: "run")
                plan = try Planning.plan(LoadedPlaybook(playbook: loaded.playbook, inventory: fleet.inventory, inventoryPath: loaded.inventoryPath),
                                         registry: registry, source: fleet.source, backend: chosen)
                target = fleet.backend
            }
            let faults = try InjectedFaults.resolve(plan, injecting: options.faults, backend: target)
            var session = RolloutSession(plan: plan, registry: registry, backend: target, journal: nil, faults: faults,
                                         options: options, seed: seed, logger: logger)
            if dryRun { return try await session.execute("dry-run") }
            try options.refuseOutsideWindows(plan.schedule)

            let record = RunRecord(
                id: UUID().uuidString.lowercased(), playbookPath: Self.absolute(plan.playbookPath), backend: chosen,
                stateDirectory: state.map(Self.absolute), seed: seed,
                caches: Dictionary(plan.caches.map { ($0.cache, $0.placement) }, uniquingKeysWith: { first, _ in first }))
            let path = journal.map(Self.absolute) ?? CommandEnvironment.current.maintctlHome.newJournalPath(playbook: plan.playbook, runID: record.id)
            let locks = try HeldLocks(for: record, journal: path)
            defer { locks.release() }
            session.journal = try await NewJournal.create(at: path, record: record, plan: plan, inventory: plan.basis.inventory, backend: target)
            session.locks = locks
            try await session.execute("run")
        }

        static func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
    }
}
