import Foundation
import GRDB
import MaintenanceKit
import Plugins
import RolloutJournal
import SimulatedBackend
import Testing

/// The journal file: what a run writes, what a resume reads, and files that are not journals.
@Suite struct JournalFileTests {
    static let inventoryText = """
        caches:
          - id: c1
            resource_group: rg
            region: weu
            leader: n1
            nodes:
              - { id: n1, version: "1", capacity: { memory_mb: 4096, cpus: 4 } }
              - { id: n2, version: "1", capacity: { memory_mb: 4096, cpus: 4 } }
            shards:
              - { id: s1, primary: n1, replicas: [n2], size_mb: 64 }
        """

    static let playbookText = """
        name: patch
        steps:
          - step: create_vms
            with: { version: "2" }
          - step: elect_leader
          - for_each: old_node
            steps:
              - step: drain_node
              - step: migrate_shards
              - step: remove_node
          - step: delete_vms
        """

    func planned() throws -> (Playbook, Plan, Inventory, PluginRegistry) {
        let registry = try PluginRegistry(steps: BuiltinPlugins.all)
        let inventory = try InventoryLoader.load(SourceFile(path: "inventory.yaml", text: Self.inventoryText))
        let loaded = try PlaybookLoader(registry: registry).load(SourceFile(path: "patch.yaml", text: Self.playbookText), inventory: inventory)
        return (loaded.playbook, try Planner(registry: registry).plan(loaded.playbook, inventory: inventory), inventory, registry)
    }

    /// The record of the run these tests journal.
    static let record = RunRecord(id: "r1", playbookPath: "patch.yaml", backend: "simulated",
                                  stateDirectory: nil, seed: 1, caches: ["c1": Placement(resourceGroup: "rg", region: "weu")])

    static func path() -> String { NSTemporaryDirectory() + "maintctl-journal-\(UUID().uuidString)/run.sqlite" }

    @Test func aRunIsRecordedActionByActionAndReadBack() async throws {
        let (_, plan, inventory, registry) = try planned()
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let record = Self.record
        let journal = try JournalFile.create(at: path, record: record, plan: plan, inventory: inventory,
                                             topologies: inventory.caches.map(CacheTopology.init))
        #expect(throws: JournalError.self) {
            try JournalFile.create(at: path, record: record, plan: plan, inventory: inventory, topologies: [])
        }
        try journal.beginSession("run")
        let backend = SimulatedBackend(inventory: inventory)
        let summary = try await RolloutRuntime(plan: plan, registry: registry, backend: backend,
                options: RolloutOptions(reporter: Silent(), stop: StopSignal(), logger: .init(label: "test"), journal: journal)).run()
        try journal.endSession(summary)
        #expect(summary.status == .succeeded)

        let snapshot = try JournalFile.open(at: path).snapshot()
        #expect(snapshot.status == .succeeded)
        #expect(snapshot.record == record)
        #expect(snapshot.plan.actionCount == plan.actionCount)
        #expect(snapshot.attempts.count == plan.actionCount && snapshot.halfDone.isEmpty)
        #expect(snapshot.progress.completed["c1"]?.count == plan.actionCount)
        #expect(snapshot.caches.first?.topology == (try await backend.topology(of: "c1")))
        #expect(snapshot.caches.first?.status == "succeeded")
        #expect(snapshot.sessions.map(\.kind) == ["run"])
    }

    /// Gathered writes committed by a task that is cancelled (as the one committing every
    /// interval is at the rollout's end) reach the file all the same: a cancelled commit would
    /// lose the writes it took.
    @Test func writesCommittedByACancelledTaskReachTheFile() async throws {
        let (_, plan, inventory, _) = try planned()
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let journal = try JournalFile.create(at: path, record: Self.record, plan: plan, inventory: inventory,
                                             topologies: inventory.caches.map(CacheTopology.init))
        try journal.setDurability(.processCrash)
        try journal.beginSession("run")
        let actions = plan.caches[0].actions.prefix(3)
        for action in actions { try await journal.recordIntent(action, attempt: 1) }
        let committing = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await journal.commitPending()
        }
        try await committing.value
        #expect(try JournalFile.open(at: path).snapshot().attempts.count == actions.count)
    }

    @Test func aResumedRuntimeSkipsWhatWasDoneAndReportsItsResults() async throws {
        let (_, plan, inventory, registry) = try planned()
        let backend = SimulatedBackend(inventory: inventory)
        let first = try await RolloutRuntime(plan: plan, registry: registry, backend: backend,
                options: RolloutOptions(reporter: Silent(), stop: StopSignal(), logger: .init(label: "test"))).run()
        // Everything done before: a resume acts on nothing and reports the same failovers.
        var progress = RolloutProgress()
        for action in plan.caches[0].actions {
            progress.completed["c1", default: [:]][action.index] = ActionResult(
                succeeded: true, failovers: first.caches[0].failovers.filter { $0.to == action.subject.destination && $0.shard == action.subject.shard })
        }
        let untouched = SimulatedBackend(inventory: inventory)
        let resumed = try await RolloutRuntime(plan: plan, registry: registry, backend: untouched,
                options: RolloutOptions(reporter: Silent(), stop: StopSignal(), logger: .init(label: "test"), progress: progress)).run()
        #expect(resumed.caches[0].actionsCompleted == plan.actionCount)
        #expect(resumed.failovers.count == first.failovers.count)
        #expect(await untouched.eventCount == 2, "only the start and end of maintenance: no action was done again")
    }

    @Test func filesThatAreNotJournalsAreClearErrors() throws {
        let directory = NSTemporaryDirectory() + "maintctl-notjournal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let foreign = directory + "/other.sqlite"
        let other = try DatabaseQueue(path: foreign)
        try other.write { db in try db.execute(sql: "CREATE TABLE run (id TEXT)") }
        let empty = directory + "/empty.sqlite"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let text = directory + "/text.sqlite"
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        let expectations = [(foreign, "not a maintctl journal"), (empty, "not a maintctl journal"),
                            (text, "not a readable maintctl journal"), (directory + "/missing", "no such journal"),
                            (directory, "is a directory")]
        for (path, message) in expectations {
            do {
                _ = try JournalFile.open(at: path)
                Issue.record("\(path) was opened")
            } catch {
                #expect("\(error)".contains(message), "\(path): \(error)")
            }
        }
    }
}

/// A reporter that prints nothing.
struct Silent: RolloutReporter {
    func report(_ event: RolloutEvent) {}
}
