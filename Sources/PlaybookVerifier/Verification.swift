import MaintenanceKit

/// What `verify` found.
public struct Verification: Sendable, Encodable {
    /// The playbook file.
    public var playbook: String
    /// One or two faults per schedule.
    public var depth: FaultExplorer.Depth
    /// The fault kinds injected.
    public var kinds: [FaultKind]
    /// Operation boundaries a fault was injected after, over all caches.
    public var boundaries = 0
    /// Schedules run whose faults all happened.
    public var explored = 0
    /// Of those, the ones after which every invariant held.
    public var held = 0
    /// The ones that broke an invariant.
    public var broken = 0
    /// Schedules whose fault could not happen (the node was not up then); not counted.
    public var notApplicable = 0
    /// Wall time of the whole exploration.
    public var wallSeconds = 0.0
    /// The shortest schedule for each way the playbook breaks.
    public var counterexamples: [Counterexample] = []

    public init(playbook: String, depth: FaultExplorer.Depth, kinds: [FaultKind]) {
        self.playbook = playbook
        self.depth = depth
        self.kinds = kinds
    }

    /// Whether the playbook is safe against every explored schedule.
    public var isSafe: Bool { counterexamples.isEmpty }

    /// Schedules per second of wall time.
    public var schedulesPerSecond: Double { wallSeconds > 0 ? Double(explored + notApplicable) / wallSeconds : 0 }

    enum CodingKeys: String, CodingKey {
        case playbook, depth, kinds, boundaries, explored, held, broken, counterexamples
        case notApplicable = "not_applicable", wallSeconds = "wall_seconds", schedulesPerSecond = "schedules_per_second", safe
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(playbook, forKey: .playbook)
        try container.encode(depth == .single ? "single" : "double", forKey: .depth)
        try container.encode(kinds, forKey: .kinds)
        try container.encode(isSafe, forKey: .safe)
        try container.encode(boundaries, forKey: .boundaries)
        try container.encode(explored, forKey: .explored)
        try container.encode(held, forKey: .held)
        try container.encode(broken, forKey: .broken)
        try container.encode(notApplicable, forKey: .notApplicable)
        try container.encode((wallSeconds * 1000).rounded() / 1000, forKey: .wallSeconds)
        try container.encode(schedulesPerSecond.rounded(), forKey: .schedulesPerSecond)
        try container.encode(counterexamples, forKey: .counterexamples)
    }
}

/// The shortest schedule found that breaks one invariant, as a trace people can follow.
public struct Counterexample: Sendable, Encodable {
    /// The first invariant broken, located at the playbook step where the fault hit (or the
    /// step whose action broke it).
    public var violation: InvariantViolation
    /// The cache it happened in.
    public var cache: String
    /// The faults, in ``FaultSyntax`` (replayable with `maintctl run --inject`); empty when the
    /// playbook breaks without any fault.
    public var faults: [ScheduledFault]
    /// What happened, line by line.
    public var trace: [String]
    /// How many explored schedules break the same invariant at the same step.
    public var schedules: Int

    enum CodingKeys: String, CodingKey {
        case violation, cache, faults, trace, schedules
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(violation.description, forKey: .violation)
        try container.encode(cache, forKey: .cache)
        try container.encode(faults.map(\.description), forKey: .faults)
        try container.encode(trace, forKey: .trace)
        try container.encode(schedules, forKey: .schedules)
    }
}
