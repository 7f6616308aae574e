import ArgumentParser
import MaintenanceKit

extension Maintctl {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a rollout would do: caches in schedule order, every action, expected failovers, predicted duration.")

        @OptionGroup var options: PlaybookOptions

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let registry = try Registry.make()
            let loaded = try options.load(registry: registry)
            let plan = try Planning.plan(loaded, registry: registry)
            switch format {
            case .text: PlanFormatter.lines(plan).forEach(Output.line)
            case .json: try Output.json(PlanJSON(plan))
            }
        }
    }
}

/// Planning shared by `plan` and `run`.
enum Planning {
    static func plan(_ loaded: LoadedPlaybook, registry: PluginRegistry) throws -> MaintenanceKit.Plan {
        do {
            return try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
        } catch {
            Output.printDiagnostics(error)
            throw Exit.invalidInput
        }
    }
}

/// A plan as JSON, durations in milliseconds.
struct PlanJSON: Encodable {
    struct Action: Encodable {
        var index: Int
        var step: String
        var stepLocation: String
        var summary: String
        var node: String?
        var shard: String?
        var destination: String?
        var nodes: [String]?
        var failover: PlannedFailover?
        var predictedMS: Int64

        enum CodingKeys: String, CodingKey {
            case index, step, summary, node, shard, destination, nodes, failover
            case stepLocation = "step_location", predictedMS = "predicted_ms"
        }
    }

    struct Cache: Encodable {
        var id: String
        var resourceGroup: String
        var region: String
        var predictedStartMS: Int64
        var predictedEndMS: Int64
        var replacements: [NodeReplacement]
        var actions: [Action]

        enum CodingKeys: String, CodingKey {
            case id, region, replacements, actions
            case resourceGroup = "resource_group", predictedStartMS = "predicted_start_ms", predictedEndMS = "predicted_end_ms"
        }
    }

    var playbook: String
    var policy: Policy
    var caches: [Cache]
    var expectedFailovers: [ExpectedFailover]
    var predictedDurationMS: Int64

    enum CodingKeys: String, CodingKey {
        case playbook, policy, caches
        case expectedFailovers = "expected_failovers", predictedDurationMS = "predicted_duration_ms"
    }

    init(_ plan: MaintenanceKit.Plan) {
        playbook = plan.playbook
        policy = plan.policy
        expectedFailovers = plan.expectedFailovers
        predictedDurationMS = plan.predictedDuration.milliseconds
        caches = plan.caches.map { cache in
            Cache(id: cache.cache, resourceGroup: cache.placement.resourceGroup, region: cache.placement.region,
                  predictedStartMS: cache.predictedStart.milliseconds, predictedEndMS: cache.predictedEnd.milliseconds,
                  replacements: cache.replacements,
                  actions: cache.actions.map { action in
                      Action(index: action.index, step: action.plugin, stepLocation: action.stepLocation.description,
                             summary: action.summary, node: action.subject.node, shard: action.subject.shard,
                             destination: action.subject.destination,
                             nodes: action.subject.nodes.isEmpty ? nil : action.subject.nodes.map(\.id),
                             failover: action.failover, predictedMS: action.predictedDuration.milliseconds)
                  })
        }
    }
}
