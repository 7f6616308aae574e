import Foundation
import MaintenanceKit
import Plugins
import SimulatedBackend

/// Entry point: measures validate, plan and run on generated fleets and validation of a long
/// playbook, then prints a table; with `--process`, also the rolling patch on a live cluster
/// of local redis-server processes (see `ProcessBenchmark`), with `--container` on containers too. Exits 1 with a FAIL line when a measured operation
/// misbehaves (a rejected input, a failed rollout, a failover count that differs from the plan).
@main
struct MaintctlBench {
    /// The issue's goals, in milliseconds of median wall time.
    static let runGoal1000Nodes: Duration = .seconds(2)
    static let validateGoalPlaybook: Duration = .milliseconds(100)
    static let journalGoalPerAction: Duration = .milliseconds(1)
    static let verifyGoalDemoFleet: Duration = .seconds(10)
    static let verifyDoubleGoalDemoFleet: Duration = .seconds(60)

    static func main() async {
        do {
            let options = try BenchmarkOptions(Array(CommandLine.arguments.dropFirst()))
            try await run(options)
        } catch {
            print("FAIL: \(error)")
            exit(1)
        }
    }

    static func run(_ options: BenchmarkOptions) async throws {
        let registry = try PluginRegistry(steps: BuiltinPlugins.all, backends: [SimulatedBackendFactory()])
        if options.fleet || options.playbook || options.journal || options.verify || options.hotSpots {
            print("maintctl-bench: in-process, simulated backend; wall time of each measurement, "
                  + "\(options.repetitions) runs, median and min")
        }
        print("cores: \(ProcessInfo.processInfo.activeProcessorCount), parent package: \(RepositoryFiles.root)")
        var goals: [String] = []

        if options.fleet {
            let playbook = try RepositoryFiles.read(RepositoryFiles.rollingPatch)
            var table = FleetReport()
            for nodes in options.fleetSizes {
                let benchmark = FleetBenchmark(shape: .withNodes(nodes), registry: registry, playbook: playbook,
                                               repetitions: options.repetitions)
                let result = try await benchmark.measure()
                table.add(result)
                if result.shape.nodes == 1_000 {
                    goals.append(goal("run phase, 1,000 nodes", result.run.median, runGoal1000Nodes))
                    goals.append(goal("validate+plan+run, 1,000 nodes", result.total.median, runGoal1000Nodes))
                }
            }
            print("")
            print("Fleet: Playbooks/rolling-patch.yaml on generated fleets "
                  + "(10 nodes and 50 shards x 2 copies per cache; max_parallel_caches 4)")
            print(table.table.text)
        }

        if options.playbook {
            let inventory: Inventory
            do {
                inventory = try InventoryLoader.load(path: RepositoryFiles.demoFleet)
            } catch {
                throw BenchmarkFailure("cannot load the demo fleet: \(error)")
            }
            let benchmark = PlaybookBenchmark(steps: options.playbookSteps, registry: registry, inventory: inventory,
                                              repetitions: options.repetitions)
            let result = try benchmark.measure()
            print("")
            print("Playbook: PlaybookLoader.load of a generated playbook against Playbooks/inventories/demo-fleet.yaml")
            print(PlaybookReport(result).table.text)
            if result.steps == 1_000 {
                goals.append(goal("validate, 1,000-step playbook", result.validate.median, validateGoalPlaybook))
            }
        }

        if options.journal {
            let benchmark = JournalBenchmark(shape: .withNodes(1_000), registry: registry,
                                             playbook: try RepositoryFiles.read(RepositoryFiles.rollingPatch),
                                             repetitions: options.repetitions)
            let result = try await benchmark.measure()
            print("")
            print("Journal: the rolling patch of 1,000 nodes without and with the journal (SQLite WAL in \(NSTemporaryDirectory()); "
                  + "as maintctl journals the simulated backend, and with every commit flushed), and the resume of a run stopped halfway")
            print(JournalReport(result).table.text)
            goals.append(goal("journal, one action's commits (median)", result.actionCommits.median, journalGoalPerAction))
        }

        if options.verify {
            let results = try await VerifyBenchmark(registry: registry, repetitions: options.repetitions).measure()
            print("")
            print("Verify: maintctl verify of Playbooks/rolling-patch.yaml, a kill after every backend operation on every node "
                  + "(double: a second kill at every later moment, on every other node)")
            print(VerifyReport(results).table.text)
            if let demo = results.first(where: { $0.name.hasPrefix("demo fleet") && $0.depth == .single }) {
                goals.append(goal("verify, single faults, demo fleet", demo.wall.median, verifyGoalDemoFleet))
            }
            if let demo = results.first(where: { $0.name.hasPrefix("demo fleet") && $0.depth == .double }) {
                goals.append(goal("verify, double faults, demo fleet", demo.wall.median, verifyDoubleGoalDemoFleet))
            }
        }

        if options.hotSpots {
            let probe = HotSpotProbe(shape: .withNodes(1_000), registry: registry,
                                     playbook: try RepositoryFiles.read(RepositoryFiles.rollingPatch))
            print("")
            print("Hot spots: the run phase on 1,000 nodes, broken down")
            print(try await probe.measure().text)
        }

        var processFailures = options.process || options.container ? try await runProcess(options) : []
        if options.shapes { processFailures += try await runShapes(options) }
        var unplannedFailures: [String] = []
        if let trials = options.unplannedTrials { unplannedFailures = try await runUnplanned(trials: trials) }

        if !goals.isEmpty {
            print("")
            print("Goals (median wall time; informational, they do not change the exit status)")
            goals.forEach { print($0) }
        }
        if !processFailures.isEmpty {
            throw BenchmarkFailure("\(processFailures.count) check(s) of the process benchmark failed (FAIL lines above)")
        }
        if !unplannedFailures.isEmpty {
            throw BenchmarkFailure("\(unplannedFailures.count) trial(s) of the unplanned-failover benchmark failed (FAIL lines above)")
        }
    }

    /// One line comparing `measured` with `limit`.
    static func goal(_ what: String, _ measured: Duration, _ limit: Duration) -> String {
        "  \(what): \(Format.ms(measured)) ms, goal <= \(Format.ms(limit)) ms: \(measured <= limit ? "met" : "MISSED")"
    }
}
