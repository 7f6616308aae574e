import Foundation
import Logging
import MaintenanceKit
import SimulatedBackend

/// Breaks the run phase down (`--hot-spots`): how many simulated events a rollout has, what
/// each costs, how much of that is the per-event checks `SimulatedBackend.apply` makes
/// (`Invariants.check` and the headroom check that calls `LoadModel.load(of:in:)` once per
/// live node), and how much CPU the run gets compared with its wall time.
struct HotSpotProbe {
    /// The fleet to run.
    var shape: FleetShape
    /// The plugins steps resolve to.
    var registry: PluginRegistry
    /// The text of `Playbooks/rolling-patch.yaml`.
    var playbook: SourceFile
    /// Calls per micro-measurement.
    var calls = 20_000

    /// The probe's findings as table rows: what, value, unit.
    func measure() async throws -> ResultTable {
        var table = ResultTable(header: ["measurement", "value", "unit"])
        let source = SourceFile(path: "<generated>", text: InventoryGenerator.yaml(for: shape))
        let inventory: Inventory, loaded: LoadedPlaybook, plan: Plan
        do {
            inventory = try InventoryLoader.load(source)
            loaded = try PlaybookLoader(registry: registry).load(playbook, inventory: inventory)
            plan = try Planner(registry: registry).plan(loaded.playbook, inventory: inventory)
        } catch {
            throw BenchmarkFailure("hot-spot probe could not plan: \(FleetBenchmark.firstLines(of: error))")
        }

        var logger = Logger(label: "maintctl-bench")
        logger.logLevel = .warning
        let backend = SimulatedBackend(inventory: inventory, config: SimulationConfig())
        let runtime = try RolloutRuntime(plan: plan, registry: registry, backend: backend,
                options: RolloutOptions(reporter: DiscardingReporter(), stop: StopSignal(), logger: logger))
        let cpuBefore = Self.processCPUTime()
        let (summary, wall) = await timedAsync { await runtime.run() }
        let cpu = Self.processCPUTime() - cpuBefore
        guard summary.status == .succeeded else { throw BenchmarkFailure("hot-spot probe run ended \(summary.status.rawValue)") }
        let events = await backend.eventCount
        table.add(["run phase, \(Format.count(shape.nodes)) nodes: wall", Format.ms(wall), "ms"])
        table.add(["run phase: process CPU time", Format.ms(cpu), "ms"])
        table.add(["run phase: CPU / wall (cores busy, of \(ProcessInfo.processInfo.activeProcessorCount))",
                   Format.fixed(cpu.milliseconds / wall.milliseconds, decimals: 2), "cores"])
        table.add(["simulated events (SimulatedBackend.eventCount)", Format.count(events), "events"])
        table.add(["wall per event", Format.us(wall.microseconds / Double(events)), "us"])

        // One cache as it is after create_vms, the most nodes it ever has live: its 10 old nodes
        // plus 10 replacements, 100 copies. Later events see fewer live nodes, so these are upper bounds.
        var topology = CacheTopology(inventory.caches[0])
        for node in inventory.caches[0].nodes {
            topology.nodes.append(NodeState(id: node.id + "-new", version: "7.2.5", capacity: node.capacity))
        }
        let invariants = perCall { Invariants.check(topology).count }
        let headroom = perCall { Self.headroomAsSimulated(topology) }
        let onePass = perCall { Self.headroomInOnePass(topology) }
        let live = topology.liveNodes.count
        table.add(["Invariants.check, 1 cache (\(live) nodes, \(topology.shards.count) shards)", Format.us(invariants), "us/call"])
        table.add(["headroom as SimulatedBackend does it (\(live) x LoadModel.load)", Format.us(headroom), "us/call"])
        table.add(["headroom in one pass over the copies (for comparison)", Format.us(onePass), "us/call"])
        return table
    }

    /// Average microseconds per call of `body`, over `calls` calls.
    private func perCall(_ body: () -> Int) -> Double {
        var sink = 0
        let (_, took) = timed { for _ in 0..<calls { sink &+= body() } }
        if sink == Int.min { print("") }  // keeps the calls from being optimized away
        return took.microseconds / Double(calls)
    }

    /// What `SimulatedBackend.headroomViolations` computes without syncs in flight: the load
    /// of every live node, each found by a scan of every shard copy.
    private static func headroomAsSimulated(_ topology: CacheTopology) -> Int {
        let model = LoadModel()
        var over = 0
        for node in topology.liveNodes where !model.load(of: node.id, in: topology).fits(node.capacity) { over += 1 }
        return over
    }

    /// The same loads from a single pass over the copies.
    private static func headroomInOnePass(_ topology: CacheTopology) -> Int {
        let model = LoadModel()
        var loads: [String: NodeLoad] = [:]
        loads.reserveCapacity(topology.nodes.count)
        for shard in topology.shards {
            for copy in shard.copies {
                loads[copy.node, default: NodeLoad()].memoryMB += shard.sizeMB
                loads[copy.node, default: NodeLoad()].cpus += copy.role == .primary ? model.primaryCPU : model.replicaCPU
            }
        }
        var over = 0
        for node in topology.liveNodes where !loads[node.id, default: NodeLoad()].fits(node.capacity) { over += 1 }
        return over
    }

    /// User plus system CPU time of this process so far.
    private static func processCPUTime() -> Duration {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }
}
