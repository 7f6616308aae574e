/// A playbook step as a plan carries it: everything execution needs from the step, so that
/// the plan runs without its playbook.
public struct PlanStep: Sendable, Hashable {
    /// Position in the playbook's flattened step list; actions name their step by it.
    public var index: Int
    /// The plugin that performs the step's actions.
    public var plugin: String
    /// Optional display name.
    public var name: String?
    /// The plugin's typed parameters, encoded (variables already substituted).
    public var parameters: JSONValue
    /// Per-action time limit.
    public var timeout: Duration
    /// How many times a failed action is tried again.
    public var retries: Int
    /// Whether it sits inside a `for_each` block (runs once per node).
    public var isPerNode: Bool
    /// Where the step was written.
    public var location: SourceLocation

    public init(index: Int, plugin: String, name: String?, parameters: JSONValue, timeout: Duration, retries: Int,
                isPerNode: Bool, location: SourceLocation) {
        self.index = index
        self.plugin = plugin
        self.name = name
        self.parameters = parameters
        self.timeout = timeout
        self.retries = retries
        self.isPerNode = isPerNode
        self.location = location
    }

    /// `create_vms` or `create_vms (Provision replacement VMs)`.
    public var displayName: String { name.map { "\(plugin) (\($0))" } ?? plugin }
}

extension PlanStep: Codable {
    enum CodingKeys: String, CodingKey {
        case index, plugin = "step", name, parameters = "with", timeoutMS = "timeout_ms", retries
        case isPerNode = "per_node", location
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decode(Int.self, forKey: .index)
        plugin = try container.decode(String.self, forKey: .plugin)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        parameters = try container.decodeIfPresent(JSONValue.self, forKey: .parameters) ?? .object([])
        let timeoutMS = try container.decode(Int64.self, forKey: .timeoutMS)
        guard timeoutMS > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .timeoutMS, in: container, debugDescription: "timeout_ms must be longer than zero")
        }
        timeout = .milliseconds(timeoutMS)
        retries = try container.decode(Int.self, forKey: .retries)
        guard (0...10).contains(retries) else {
            throw DecodingError.dataCorruptedError(forKey: .retries, in: container, debugDescription: "retries must be between 0 and 10")
        }
        isPerNode = try container.decode(Bool.self, forKey: .isPerNode)
        location = try container.decode(SourceLocation.self, forKey: .location)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(plugin, forKey: .plugin)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(timeout.milliseconds, forKey: .timeoutMS)
        try container.encode(retries, forKey: .retries)
        try container.encode(isPerNode, forKey: .isPerNode)
        try container.encode(location, forKey: .location)
    }
}
