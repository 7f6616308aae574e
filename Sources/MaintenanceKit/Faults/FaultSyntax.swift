/// Reads a fault as people write it on the command line (`--inject`) and in a playbook's
/// `faults:` list, and as `verify` prints its counterexamples:
///
/// ```
/// kill node-2 after migrate_shards#3        after the 3rd migrate_shards action of node-2's cache
/// kill node-2 after migrate_shards#3.1      after that action's first backend operation
/// pause shard s1 primary 500ms at 12s       stall whichever node holds s1's primary, 12 s in
/// slow node-4 10x 30s after create_vms#1    replication to and from node-4 ten times slower
/// partition node-3 5s at 1m                 node-3 cut off from the cluster for 5 s
/// ```
public enum FaultSyntax {
    /// The grammar, for error messages and help.
    public static let usage = "KIND TARGET [FACTORx] [DURATION] (after STEP#N[.OP] | at TIME), KIND one of kill, pause, slow, partition; "
        + "TARGET a node id or 'shard ID primary'; e.g. 'kill node-2 after migrate_shards#3' or 'pause shard s1 primary 500ms at 12s'"

    /// Parses one fault.
    /// - Throws: ``ConfigValueError`` saying which word is wrong.
    public static func parse(_ text: String) throws(ConfigValueError) -> ScheduledFault {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)[...]
        guard let first = words.popFirst() else { throw ConfigValueError("a fault is empty; write \(usage)") }
        guard let kind = FaultKind(rawValue: first.lowercased()) else {
            throw ConfigValueError("'\(first.forMessage)' is not a fault kind; use kill, pause, slow or partition"
                                   + Suggestion.didYouMean(first, among: FaultKind.allCases.map(\.rawValue)))
        }
        let target = try parseTarget(&words)
        var duration: Duration?
        var slowdown: Double?
        while let word = words.first, word != "after", word != "at" {
            words.removeFirst()
            if word.hasSuffix("x"), let factor = Double(word.dropLast()), factor.isFinite {
                guard kind == .slow, slowdown == nil, factor > 1, factor <= 1000 else {
                    throw ConfigValueError("'\(word.forMessage)': only a slow fault takes a slowdown, once, between 1x and 1000x")
                }
                slowdown = factor
            } else if let parsed = ConfigDuration(parsing: word) {
                guard kind != .kill, duration == nil, parsed.duration > .zero else {
                    throw ConfigValueError("'\(word.forMessage)': \(kind == .kill ? "a kill lasts for good and takes no duration" : "give one duration above zero")")
                }
                duration = parsed.duration
            } else {
                throw ConfigValueError("'\(word.forMessage)' is neither a duration (500ms, 2s), a slowdown (10x) nor 'after'/'at'")
            }
        }
        if kind != .kill, duration == nil { throw ConfigValueError("a \(kind.rawValue) fault needs a duration, e.g. '\(kind.rawValue) \(target) 2s at 10s'") }
        if kind == .slow, slowdown == nil { slowdown = 10 }
        let trigger = try parseTrigger(&words)
        if let extra = words.first { throw ConfigValueError("unexpected '\(extra.forMessage)' after the fault's moment") }
        return ScheduledFault(Fault(kind, target, duration: duration, slowdown: slowdown), trigger)
    }

    private static func parseTarget(_ words: inout ArraySlice<String>) throws(ConfigValueError) -> FaultTarget {
        guard let word = words.popFirst(), word != "after", word != "at" else {
            throw ConfigValueError("name the node the fault hits: a node id or 'shard ID primary'")
        }
        switch word {
        case "shard":
            guard let shard = words.popFirst(), words.popFirst() == "primary", InventoryLoader.isIdentifier(shard) else {
                throw ConfigValueError("write a shard's primary as 'shard ID primary'")
            }
            return .primaryOf(shard: shard)
        case "node":
            guard let node = words.popFirst(), InventoryLoader.isIdentifier(node) else { throw ConfigValueError("'node' must be followed by a node id") }
            return .node(node)
        default:
            guard InventoryLoader.isIdentifier(word) else { throw ConfigValueError("'\(word.forMessage)' is not a node id") }
            return .node(word)
        }
    }

    private static func parseTrigger(_ words: inout ArraySlice<String>) throws(ConfigValueError) -> FaultTrigger {
        switch words.popFirst() {
        case "at":
            guard let word = words.popFirst(), let moment = ConfigDuration(parsing: word) else {
                throw ConfigValueError("'at' must be followed by a time since the rollout began, e.g. 'at 12s'")
            }
            return .at(moment.duration)
        case "after":
            guard let word = words.popFirst() else { throw ConfigValueError("'after' must be followed by STEP#N, e.g. 'after migrate_shards#3'") }
            let parts = word.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 2, InventoryLoader.isIdentifier(String(parts[0])) else {
                throw ConfigValueError("'\(word.forMessage)' is not STEP#N, e.g. 'migrate_shards#3'")
            }
            let numbers = parts[1].split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(numbers.count), let number = Int(numbers[0]), (1...1_000_000).contains(number) else {
                throw ConfigValueError("'\(word.forMessage)': N counts the step's actions from 1, e.g. 'migrate_shards#3'")
            }
            var operation: Int?
            if numbers.count == 2 {
                guard let op = Int(numbers[1]), (1...1000).contains(op) else {
                    throw ConfigValueError("'\(word.forMessage)': .OP counts the action's backend operations from 1")
                }
                operation = op
            }
            return .after(step: String(parts[0]), number: number, operation: operation)
        default:
            throw ConfigValueError("say when: 'after STEP#N' or 'at TIME'; write \(usage)")
        }
    }
}
