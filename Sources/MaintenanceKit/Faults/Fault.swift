/// What can go wrong with a node, on purpose (fault injection) or not.
public enum FaultKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// The node's processes die at once (SIGKILL, a crashed VM or container).
    case kill
    /// The node stalls for a while, then goes on (SIGSTOP/SIGCONT, `docker pause`).
    case pause
    /// Replication to and from the node is slowed down for a while.
    case slow
    /// The node is cut off from the rest of the cluster for a while, but keeps running.
    case partition
}

/// Which node a fault hits: a node by id, or whichever node holds a shard's primary when the
/// fault happens.
public enum FaultTarget: Sendable, Codable, Hashable, CustomStringConvertible {
    case node(String)
    case primaryOf(shard: String)

    public var description: String {
        switch self {
        case let .node(id): id
        case let .primaryOf(shard): "shard \(shard) primary"
        }
    }
}

/// One fault: what happens, to which node, for how long.
public struct Fault: Sendable, Codable, Hashable, CustomStringConvertible {
    public var kind: FaultKind
    public var target: FaultTarget
    /// How long a pause, slow link or partition lasts; nil for a kill.
    public var duration: Duration?
    /// How many times slower replication runs, for a slow link.
    public var slowdown: Double?

    public init(_ kind: FaultKind, _ target: FaultTarget, duration: Duration? = nil, slowdown: Double? = nil) {
        self.kind = kind
        self.target = target
        self.duration = duration
        self.slowdown = slowdown
    }

    public var description: String {
        var words = [kind.rawValue, target.description]
        if let slowdown { words.append("\(slowdown.formatted2)x") }
        if let duration { words.append(duration.compact) }
        return words.joined(separator: " ")
    }
}

/// When an injected fault happens.
public enum FaultTrigger: Sendable, Codable, Hashable, CustomStringConvertible {
    /// After the `number`th action (1-based) of the step plugin `step` in the cache, or, with
    /// `operation`, after that many of the action's backend operations.
    case after(step: String, number: Int, operation: Int?)
    /// This long after the rollout began.
    case at(Duration)

    public var description: String {
        switch self {
        case let .after(step, number, operation): "after \(step)#\(number)" + (operation.map { ".\($0)" } ?? "")
        case let .at(moment): "at \(moment.compact)"
        }
    }
}

/// A fault with the moment it is injected: `kill node-2 after migrate_shards#3`.
public struct ScheduledFault: Sendable, Codable, Hashable, CustomStringConvertible {
    public var fault: Fault
    public var trigger: FaultTrigger
    /// Where it was written (a playbook line), when it came from a file.
    public var location: SourceLocation?

    public init(_ fault: Fault, _ trigger: FaultTrigger, location: SourceLocation? = nil) {
        self.fault = fault
        self.trigger = trigger
        self.location = location
    }

    public var description: String { "\(fault) \(trigger)" }

    public static func == (lhs: ScheduledFault, rhs: ScheduledFault) -> Bool {
        lhs.fault == rhs.fault && lhs.trigger == rhs.trigger
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fault)
        hasher.combine(trigger)
    }
}

extension Duration {
    /// The shortest exact spelling that ``ConfigDuration`` reads back: `500ms`, `12s`, `2m`, `1500ms`.
    var compact: String {
        let ms = milliseconds
        if ms % 60_000 == 0, ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}
