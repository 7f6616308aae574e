/// A playbook file as written, before steps are resolved against the plugin registry.
struct PlaybookDocument: Decodable {
    var name: String
    var description: String?
    var inventory: String?
    var policy: Policy?
    var targets: Targets?
    var variables: [String: String]?
    var maintenanceWindows: [MaintenanceWindow]?
    var steps: [StepDocument]
    var faults: [FaultEntry]?

    enum CodingKeys: String, CodingKey {
        case name, description, inventory, policy, targets, variables, steps, faults
        case maintenanceWindows = "maintenance_windows"
    }
}

/// One entry of a step list as written: a plugin invocation or a `for_each` block.
struct StepDocument: Decodable, ConfigPlaceholder {
    /// The whole entry, for its location and its keys' locations.
    var node: ConfigNode
    /// `step:` — the plugin id, with its location.
    var kind: ConfigNode?
    var name: String?
    /// `with:` — the plugin's parameters, decoded once the plugin is known.
    var with: ConfigNode?
    var timeout: ConfigDuration?
    var retries: Int?
    /// `for_each:` — which nodes a block visits.
    var forEach: NodeSelection?
    /// The block's steps.
    var steps: [StepDocument]?
    /// Stands in for an entry whose problems were already reported; it is skipped.
    var isPlaceholder = false

    static var placeholder: StepDocument {
        StepDocument(node: .emptyMapping(at: .start(of: "")), isPlaceholder: true)
    }

    private init(node: ConfigNode, isPlaceholder: Bool) {
        self.node = node
        self.isPlaceholder = isPlaceholder
    }

    enum CodingKeys: String, CodingKey {
        case step, name, with, timeout, retries, forEach = "for_each", steps
    }

    init(from decoder: any Decoder) throws {
        node = try decoder.singleValueContainer().decode(ConfigNode.self)
        guard node.entries != nil else { return } // StepResolver reports the shape.
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        if container.contains(.forEach) {
            if container.contains(.step) {
                throw ConfigValueError("a step entry has either 'step:' or 'for_each:', not both")
            }
            forEach = try container.decode(NodeSelection.self, forKey: .forEach)
            steps = try container.decode([StepDocument].self, forKey: .steps)
        } else {
            kind = try container.decodeIfPresent(ConfigNode.self, forKey: .step)
            with = try container.decodeIfPresent(ConfigNode.self, forKey: .with)
            timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .timeout)
            retries = try container.decodeIfPresent(Int.self, forKey: .retries)
        }
    }
}
