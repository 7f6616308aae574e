/// Command-line options: which measurements to make and how often.
///
///     maintctl-bench [--nodes 100,1000,10000] [--steps 1000] [--repeat 3] [--skip-fleet] [--skip-playbook] [--skip-journal] [--skip-verify] [--hot-spots]
///                    [--process [--keys 100000,1000000] [--rounds 5]] [--container [--trials 10]] [--unplanned N]
///                    [--shapes [--keys 100000] [--rounds 3] [--timeline] [--shape-nodes 3,12] [--shape 20:20:1] [--parallel-syncs 2]]
struct BenchmarkOptions {
    /// Fleet sizes, in nodes (ten per cache).
    var fleetSizes = [100, 1_000, 10_000]
    /// Step entries of the generated playbook.
    var playbookSteps = 1_000
    /// How many times each measurement runs.
    var repetitions = 3
    /// Whether to run the fleet benchmark.
    var fleet = true
    /// Whether to run the long-playbook benchmark.
    var playbook = true
    /// Whether to measure the journal's cost and the resume time.
    var journal = true
    /// Whether to time `verify` (single kills on the demo fleet, double on the local cluster).
    var verify = true
    /// Whether to break the run phase down on a 1,000-node fleet.
    var hotSpots = false
    /// Whether to run the rolling patch on a real cluster of local redis-server processes.
    var process = false
    /// Whether to run it on containers too, beside the same on processes, and time how fast a
    /// node comes up on each.
    var container = false
    /// Trials of a node coming up, per kind of node.
    var nodeStartTrials = 10
    /// Keys loaded into that cluster, one cluster per count.
    var processKeyCounts = [100_000, 1_000_000]
    /// Rolling patches run on each cluster.
    var processRounds = 5
    /// Whether to run the cluster-shape sweep (`ClusterShape.sweep`) on local processes.
    var shapes = false
    /// Keys loaded into each shape's cluster.
    var shapeKeys = 100_000
    /// Rolling patches run on each shape.
    var shapeRounds = 3
    /// Whether the sweep prints the backend's debug lines: the phases of every copy move.
    var timeline = false
    /// The shapes of the sweep to run, by node count; nil for all.
    var shapeNodeCounts: Set<Int>?
    /// Shapes to run instead of the sweep (`--shape nodes:shards:replicas`, repeatable).
    var customShapes: [ClusterShape] = []
    /// `parallel_syncs` of the sweep's `migrate_shards` (`--parallel-syncs N`); nil: the playbook's own.
    var parallelSyncs: Int?
    /// Trials of the unplanned failover on a live cluster (kill s1's primary; see
    /// `UnplannedFailoverBenchmark`); nil to skip it.
    var unplannedTrials: Int?

    /// Parses `arguments` (without the program name).
    /// - Throws: `BenchmarkFailure` with a usage line for an unknown or malformed option.
    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(for option: String) throws -> String {
            guard let value = rest.popFirst() else { throw BenchmarkFailure("\(option) needs a value\n\(Self.usage)") }
            return value
        }
        func positive(_ text: String, for option: String) throws -> Int {
            guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number > 0 else {
                throw BenchmarkFailure("\(option): '\(text)' is not a positive number\n\(Self.usage)")
            }
            return number
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--nodes":
                fleetSizes = try value(for: argument).split(separator: ",").map { try positive(String($0), for: argument) }
            case "--steps": playbookSteps = try positive(try value(for: argument), for: argument)
            case "--repeat": repetitions = try positive(try value(for: argument), for: argument)
            case "--skip-fleet": fleet = false
            case "--skip-playbook": playbook = false
            case "--skip-journal": journal = false
            case "--skip-verify": verify = false
            case "--hot-spots": hotSpots = true
            case "--process": process = true
            case "--container": container = true
            case "--trials": nodeStartTrials = try positive(try value(for: argument), for: argument)
            case "--keys":
                processKeyCounts = try value(for: argument).split(separator: ",").map { try positive(String($0), for: argument) }
                guard let first = processKeyCounts.first else { throw BenchmarkFailure("--keys needs a count\n\(Self.usage)") }
                shapeKeys = first
            case "--rounds":
                processRounds = try positive(try value(for: argument), for: argument)
                shapeRounds = processRounds
            case "--shapes": shapes = true
            case "--timeline": timeline = true
            case "--shape-nodes":
                shapeNodeCounts = Set(try value(for: argument).split(separator: ",").map { try positive(String($0), for: argument) })
            case "--shape":
                let parts = try value(for: argument).split(separator: ":").map { try positive(String($0), for: argument) }
                guard parts.count == 3, parts[0] > parts[2] else {
                    throw BenchmarkFailure("--shape needs nodes:shards:replicas, more nodes than replicas\n\(Self.usage)")
                }
                customShapes.append(ClusterShape(nodes: parts[0], shards: parts[1], replicas: parts[2]))
                shapes = true
            case "--parallel-syncs": parallelSyncs = try positive(try value(for: argument), for: argument)
            case "--unplanned": unplannedTrials = try positive(try value(for: argument), for: argument)
            case "-h", "--help": throw BenchmarkFailure(Self.usage)
            default: throw BenchmarkFailure("unknown option '\(argument)'\n\(Self.usage)")
            }
        }
    }

    static let usage = "usage: maintctl-bench [--nodes 100,1000,10000] [--steps 1000] [--repeat 3] [--skip-fleet] [--skip-playbook] [--skip-journal] [--skip-verify] [--hot-spots]"
        + " [--process [--keys 100000,1000000] [--rounds 5]] [--container [--trials 10]] [--unplanned N]"
        + " [--shapes [--keys 100000] [--rounds 3] [--timeline] [--shape-nodes 3,12] [--shape 20:20:1] [--parallel-syncs 2]]"
}
