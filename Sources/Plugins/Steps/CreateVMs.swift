import MaintenanceKit

/// Provisions one new node at the target version for each node being replaced.
public struct CreateVMs: StepPlugin {
    public struct Parameters: Codable, Sendable {
        /// The version (image) the new nodes run.
        public var version: String
        /// Only replace these nodes; by default every node not already at `version`.
        public var nodes: [String]?
        /// The new VMs' size; by default the size of the node each replaces.
        public var capacity: Capacity?
    }

    public static let descriptor = StepDescriptor(
        id: "create_vms",
        summary: "Provision a new node at the target version for each node being replaced (nodes already at it are kept).",
        scope: .cache, isRetryable: true, defaultTimeout: .seconds(30 * 60),
        parameters: [
            ParameterDescriptor("version", type: .identifier, required: true, "version or image the new nodes run"),
            ParameterDescriptor("nodes", type: .list(.identifier), default: "all nodes not at version", "replace only these nodes (node ids)"),
            ParameterDescriptor("capacity", type: .object([
                ParameterDescriptor("memory_mb", type: .number(0...16_777_216), required: true, "memory in MB (more than 0)"),
                ParameterDescriptor("cpus", type: .number(0...4096), required: true, "CPU cores (more than 0)"),
            ]), default: "the replaced node's", "size of the new VMs"),
        ],
        example: """
            step: create_vms
            with:
              version: "7.2.5"
            """,
        providesReplacements: true)

    public init() {}

    public func validate(_ parameters: Parameters, in context: ValidationContext) -> [ParameterProblem] {
        var problems: [ParameterProblem] = []
        if !InventoryLoader.isIdentifier(parameters.version) {
            problems.append(ParameterProblem(at: ["version"], "version '\(parameters.version.forMessage)' must be letters, digits, '.', '_' or '-'"))
        }
        if let capacity = parameters.capacity, !(capacity.memoryMB > 0 && capacity.memoryMB <= 16_777_216 && capacity.cpus > 0 && capacity.cpus <= 4096) {
            problems.append(ParameterProblem(at: ["capacity"], "capacity needs memory_mb between 1 and 16777216 and cpus between 0 and 4096"))
        }
        let known = context.targetCaches.flatMap { $0.nodes.map(\.id) }
        for (index, node) in (parameters.nodes ?? []).enumerated() where !known.contains(node) {
            problems.append(ParameterProblem(at: ["nodes", .index(index)], .unknownReference,
                                             "no targeted cache has a node '\(node.forMessage)'" + Suggestion.didYouMean(node, among: known)))
        }
        return problems
    }

    public func plan(_ parameters: Parameters, in context: inout PlanningContext) throws(PlanningError) {
        let chosen = parameters.nodes.map(Set.init)
        let alreadyReplaced = Set(context.replacements.map(\.old))
        let old = context.cache.nodes.filter {
            $0.version != parameters.version && (chosen?.contains($0.id) ?? true) && !alreadyReplaced.contains($0.id)
        }
        guard !old.isEmpty else { return }
        var taken = context.fleetNodeIDs.union(context.topology.nodes.map(\.id))
        var specs: [NodeSpec] = []
        for node in old {
            let id = Self.replacementID(for: node, version: parameters.version, taken: taken)
            guard InventoryLoader.isIdentifier(id) else {
                throw PlanningError("the replacement of '\(node.id)' would be named '\(id.forMessage)', longer than 64 characters")
            }
            taken.insert(id)
            let capacity = parameters.capacity ?? node.capacity
            specs.append(NodeSpec(id: id, version: parameters.version, capacity: capacity))
            context.replacements.append((old: node.id, new: id))
            context.topology.nodes.append(NodeState(id: id, version: parameters.version, capacity: capacity))
        }
        context.addAction(ActionSubject(nodes: specs, version: parameters.version),
                          summary: "create \(specs.count) VMs at \(parameters.version): \(specs.map(\.id).joined(separator: ", "))",
                          predictedDuration: context.timing.vmCreation)
    }

    public func execute(_ action: PlannedAction, target: VMsTarget, parameters: Parameters, context: ExecutionContext) async throws {
        let existing = Set(try await context.backend.topology(of: context.cache).nodes.filter { $0.lifecycle != .deleted }.map(\.id))
        let missing = target.nodes.filter { !existing.contains($0.id) }
        if missing.count < target.nodes.count {
            context.note("\(target.nodes.count - missing.count) already existed")
        }
        guard !missing.isEmpty else { return }
        // The copies of the first node to move start with the new nodes (as each node's moves
        // start the next node's, see `MigrateShards`): their handshakes with the cluster run
        // while the nodes come up, not during the first move.
        if let first = MigrateShards.firstNodesCopies(in: context.upcoming) {
            await context.backend.prepareCopies(of: first.shards, on: first.destination, in: context.cache)
        }
        try await context.backend.createNodes(missing, in: context.cache)
    }

    /// `n1` → `n1-7.2.5`; a trailing old version is replaced, not stacked (`n1-7.2.4` → `n1-7.2.5`).
    static func replacementID(for node: NodeSpec, version: String, taken: Set<String>) -> String {
        var base = node.id
        if base.hasSuffix("-\(node.version)") { base = String(base.dropLast(node.version.count + 1)) }
        var candidate = "\(base)-\(version)"
        var counter = 2
        while taken.contains(candidate) {
            candidate = "\(base)-\(version)-\(counter)"
            counter += 1
        }
        return candidate
    }
}
