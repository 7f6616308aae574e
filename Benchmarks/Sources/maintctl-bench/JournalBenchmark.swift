import Foundation
import Logging
import MaintenanceKit
import RolloutJournal
import SimulatedBackend
import Synchronization

/// What the journal costs: the simulated rolling patch of a generated fleet without and with
/// a durable journal (WAL, synchronous = FULL), the latency of one action's two commits, and
/// the time to resume a rollout that crashed halfway.
struct JournalBenchmark {
    var shape: FleetShape
    var registry: PluginRegistry
    var playbook: SourceFile
    var repetitions: Int

    struct Result {
        var shape: FleetShape
        var actions = 0
        var plain = Timing()
        /// Journaled as maintctl journals the simulated backend (commits survive a maintctl crash).
        var journaled = Timing()
        /// Journaled with every commit flushed to disk, as for backends with real servers.
        var journaledDurable = Timing()
        /// One action's intent and outcome commits (with its observed topology), timed one by one.
        var actionCommits = Timing()
        /// From opening the journal of a run stopped halfway to the end of the resumed rollout.
        var resume = Timing()
        /// The part of it spent opening and reading the journal.
        var resumeRead = Timing()
        /// Actions the resumed rollout still had to do.
        var resumedActions = 0
    }

    func measure() async throws -> Result {
        let inventory = try InventoryLoader.load(SourceFile(path: "<generated>", text: InventoryGenerator.yaml(for: shape)))
        let loaded = try PlaybookLoader(registry: registry).load(playbook, inventory: inventory)
        let plan = try Planner(registry: registry).plan(loaded.playbook, inventory: inventory)
        var result = Result(shape: shape, actions: plan.actionCount)
        let directory = NSTemporaryDirectory() + "maintctl-bench-journal-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for repetition in 0..<repetitions {
            let (plain, plainTime) = try await timedAsync { try await run(plan, loaded.playbook, backend: SimulatedBackend(inventory: inventory)) }
            try expectSuccess(plain)
            result.plain.record(plainTime)

            let journal = try create(directory + "/full-\(repetition).sqlite", plan: plan, inventory: inventory)
            let (durable, durableTime) = try await timedAsync {
                try await run(plan, loaded.playbook, backend: SimulatedBackend(inventory: inventory), journal: journal)
            }
            try expectSuccess(durable)
            result.journaledDurable.record(durableTime)

            let simulated = try create(directory + "/sim-\(repetition).sqlite", plan: plan, inventory: inventory)
            try simulated.setDurability(.processCrash)
            // Until every write is committed: the rollout does not wait for the commits.
            let (journaled, journaledTime) = try await timedAsync {
                let summary = try await run(plan, loaded.playbook, backend: SimulatedBackend(inventory: inventory), journal: simulated)
                try await simulated.commitPending()
                return summary
            }
            try expectSuccess(journaled)
            result.journaled.record(journaledTime)

            let topology = CacheTopology(inventory.caches[0])
            for action in plan.caches[0].actions {
                let ((), took) = try await timedAsync {
                    try await journal.recordIntent(action, attempt: 99)
                    try await journal.recordOutcome(action, attempt: 99, result: ActionResult(succeeded: true), observed: topology)
                }
                result.actionCommits.record(took)
            }

            let halfway = try create(directory + "/half-\(repetition).sqlite", plan: plan, inventory: inventory)
            try halfway.setDurability(.processCrash)
            let stop = StopSignal()
            let stopped = try await run(plan, loaded.playbook, backend: SimulatedBackend(inventory: inventory), journal: halfway,
                                    stop: stop, reporter: StopAfter(actions: plan.actionCount / 2, stop: stop))
            guard stopped.status == .aborted else { throw BenchmarkFailure("the halfway run ended \(stopped.status.rawValue)") }
            let ((resumed, remaining, readTime), resumeTime) = try await timedAsync {
                let ((snapshot, file), readTime) = try timed {
                    let file = try JournalFile.open(at: halfway.path)
                    try file.setDurability(.processCrash)
                    try file.beginSession("resume")
                    return (try file.snapshot(), file)
                }
                let progress = snapshot.progress
                let backend = SimulatedBackend(topologies: snapshot.caches.map(\.topology))
                let summary = try await run(snapshot.plan, loaded.playbook, backend: backend, journal: file, progress: progress)
                let done = progress.completed.values.reduce(0) { $0 + $1.count }
                return (summary, snapshot.plan.actionCount - done, readTime)
            }
            try expectSuccess(resumed)
            result.resume.record(resumeTime)
            result.resumeRead.record(readTime)
            result.resumedActions = remaining
        }
        return result
    }

    private func create(_ path: String, plan: Plan, inventory: Inventory) throws -> JournalFile {
        let record = RunRecord(id: UUID().uuidString, playbookPath: "<bench>", backend: "simulated",
                               stateDirectory: nil, seed: 1, caches: [:])
        let journal = try JournalFile.create(at: path, record: record, plan: plan, inventory: inventory,
                                             topologies: inventory.caches.map(CacheTopology.init))
        try journal.beginSession("run")
        return journal
    }

    private func run(_ plan: Plan, _ playbook: Playbook, backend: SimulatedBackend, journal: JournalFile? = nil,
                     progress: RolloutProgress = RolloutProgress(), stop: StopSignal = StopSignal(),
                     reporter: any RolloutReporter = DiscardingReporter()) async throws -> RolloutSummary {
        var logger = Logger(label: "maintctl-bench")
        logger.logLevel = .critical
        return try await RolloutRuntime(plan: plan, registry: registry, backend: backend,
                options: RolloutOptions(reporter: reporter, stop: stop, logger: logger, journal: journal, progress: progress)).run()
    }

    private func expectSuccess(_ summary: RolloutSummary) throws {
        guard summary.status == .succeeded else {
            let why = summary.caches.first { $0.status != .succeeded }.map { "\($0.cache): \($0.error ?? $0.status.rawValue) \($0.violations)" } ?? ""
            throw BenchmarkFailure("journal benchmark: a rollout of the \(shape.nodes)-node fleet ended \(summary.status.rawValue): \(why)")
        }
    }
}

/// Asks the rollout to stop once `actions` actions have finished: a crash halfway, without the exit.
final class StopAfter: RolloutReporter {
    private let remaining: Mutex<Int>
    private let stop: StopSignal

    init(actions: Int, stop: StopSignal) {
        remaining = Mutex(actions)
        self.stop = stop
    }

    func report(_ event: RolloutEvent) {
        guard case .actionFinished = event else { return }
        if remaining.withLock({ left -> Bool in
            left -= 1
            return left <= 0
        }) { stop.request() }
    }
}
