/// One line of a playbook's `faults:` list: a fault in ``FaultSyntax``, with where it was written.
struct FaultEntry: Decodable, ConfigPlaceholder {
    var fault: ScheduledFault?

    init(from decoder: any Decoder) throws {
        let node = try decoder.singleValueContainer().decode(ConfigNode.self)
        guard let text = node.scalar, !node.isNull else {
            throw ConfigValueError("a fault is one line of text, e.g. 'kill node-2 after migrate_shards#3'; found \(node.shapeName)")
        }
        var parsed = try FaultSyntax.parse(text)
        parsed.location = node.location
        fault = parsed
    }

    private init() {}
    static var placeholder: FaultEntry { FaultEntry() }
}

extension FaultSyntax {
    /// Checks that `fault` names things the rollout has: a node (or a shard) of a targeted cache
    /// and a step the playbook uses.
    /// - Returns: What is wrong, empty when nothing is.
    public static func problems(with fault: ScheduledFault, caches: [CacheSpec], steps: [String]) -> [String] {
        var problems: [String] = []
        switch fault.fault.target {
        case let .node(node):
            // A fault may hit a node the rollout creates; those are named after the old ones.
            let known = caches.flatMap { $0.nodes.map(\.id) }
            if !known.contains(node), !known.contains(where: { node.hasPrefix($0 + "-") }) {
                problems.append("no targeted cache has a node '\(node.forMessage)'" + Suggestion.didYouMean(node, among: known))
            }
        case let .primaryOf(shard):
            let holders = caches.filter { $0.shards.contains { $0.id == shard } }
            if holders.isEmpty {
                problems.append("no targeted cache has a shard '\(shard.forMessage)'"
                                + Suggestion.didYouMean(shard, among: caches.flatMap { $0.shards.map(\.id) }))
            } else if holders.count > 1 {
                problems.append("shard '\(shard.forMessage)' is in \(holders.count) targeted caches (\(holders.map(\.id).joined(separator: ", "))); "
                                + "narrow the playbook's targets to one, or name a node")
            }
        }
        if case let .after(step, _, _) = fault.trigger, !steps.contains(step) {
            problems.append("the playbook has no '\(step.forMessage)' step" + Suggestion.didYouMean(step, among: steps))
        }
        return problems
    }

    /// The targeted cache a fault happens in.
    public static func cache(of fault: ScheduledFault, among caches: [CacheTopology]) -> String? {
        switch fault.fault.target {
        case let .node(node):
            caches.first { $0.nodes.contains { $0.id == node } }?.id
                ?? caches.first { cache in cache.nodes.contains { node.hasPrefix($0.id + "-") } }?.id
        case let .primaryOf(shard):
            caches.first { $0.shards.contains { $0.id == shard } }?.id
        }
    }
}
