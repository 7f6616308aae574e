/// The plan file: JSON with snake_case keys and durations in milliseconds, as `maintctl plan
/// --format json` prints it and `maintctl run --plan` reads it.
extension Plan: Codable {
    enum CodingKeys: String, CodingKey {
        case format, maintctlVersion = "maintctl_version", playbook, playbookPath = "playbook_path", policy
        case maintenanceWindows = "maintenance_windows", faults, steps, basis = "planned_against", caches
        case expectedFailovers = "expected_failovers", predictedDurationMS = "predicted_duration_ms"
        case predictionBasis = "prediction_basis"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(Int.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: container,
                                                   debugDescription: "plan format \(format) is not the format \(Self.format) this maintctl reads")
        }
        maintctlVersion = try container.decode(String.self, forKey: .maintctlVersion)
        playbook = try container.decode(String.self, forKey: .playbook)
        playbookPath = try container.decode(String.self, forKey: .playbookPath)
        policy = try container.decode(Policy.self, forKey: .policy)
        maintenanceWindows = try container.decodeIfPresent([MaintenanceWindow].self, forKey: .maintenanceWindows) ?? []
        faults = try container.decodeIfPresent([ScheduledFault].self, forKey: .faults) ?? []
        steps = try container.decode([PlanStep].self, forKey: .steps)
        basis = try container.decode(PlanBasis.self, forKey: .basis)
        caches = try container.decode([CachePlan].self, forKey: .caches)
        predictionBasis = try container.decodeIfPresent(String.self, forKey: .predictionBasis)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(maintctlVersion, forKey: .maintctlVersion)
        try container.encode(playbook, forKey: .playbook)
        try container.encode(playbookPath, forKey: .playbookPath)
        try container.encode(policy, forKey: .policy)
        try container.encode(maintenanceWindows, forKey: .maintenanceWindows)
        try container.encode(faults, forKey: .faults)
        try container.encode(steps, forKey: .steps)
        try container.encode(basis, forKey: .basis)
        try container.encode(caches, forKey: .caches)
        try container.encode(expectedFailovers, forKey: .expectedFailovers)
        try container.encode(predictedDuration.milliseconds, forKey: .predictedDurationMS)
        try container.encodeIfPresent(predictionBasis, forKey: .predictionBasis)
    }
}

extension CachePlan: Codable {
    enum CodingKeys: String, CodingKey {
        case id, resourceGroup = "resource_group", region, predictedStartMS = "predicted_start_ms"
        case predictedEndMS = "predicted_end_ms", replacements, actions
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cache = try container.decode(String.self, forKey: .id)
        placement = Placement(resourceGroup: try container.decode(String.self, forKey: .resourceGroup),
                              region: try container.decode(String.self, forKey: .region))
        predictedStart = .milliseconds(try container.decode(Int64.self, forKey: .predictedStartMS))
        predictedEnd = .milliseconds(try container.decode(Int64.self, forKey: .predictedEndMS))
        replacements = try container.decode([NodeReplacement].self, forKey: .replacements)
        actions = try container.decode([PlannedAction].self, forKey: .actions)
        for (position, action) in actions.enumerated() where action.index != position || action.cache != cache {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: container.codingPath + [CodingKeys.actions, AnyKey(index: position)],
                debugDescription: "action \(position) of cache '\(cache)' says it is action \(action.index) of '\(action.cache)'"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cache, forKey: .id)
        try container.encode(placement.resourceGroup, forKey: .resourceGroup)
        try container.encode(placement.region, forKey: .region)
        try container.encode(predictedStart.milliseconds, forKey: .predictedStartMS)
        try container.encode(predictedEnd.milliseconds, forKey: .predictedEndMS)
        try container.encode(replacements, forKey: .replacements)
        try container.encode(actions, forKey: .actions)
    }
}

extension PlannedAction: Codable {
    enum CodingKeys: String, CodingKey {
        case index, cache, plugin = "step", stepIndex = "step_index", stepLocation = "step_location", summary
        case node, shard, destination, nodes, nodeSpecs = "node_specs", version, failover, predictedMS = "predicted_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decode(Int.self, forKey: .index)
        cache = try container.decode(String.self, forKey: .cache)
        plugin = try container.decode(String.self, forKey: .plugin)
        stepIndex = try container.decode(Int.self, forKey: .stepIndex)
        let locationText = try container.decode(String.self, forKey: .stepLocation)
        guard let location = SourceLocation(parsing: locationText) else {
            throw DecodingError.dataCorruptedError(forKey: .stepLocation, in: container,
                                                   debugDescription: "'\(locationText)' is not a FILE:LINE:COLUMN location")
        }
        stepLocation = location
        summary = try container.decode(String.self, forKey: .summary)
        let nodes = try container.decodeIfPresent([NodeSpec].self, forKey: .nodeSpecs) ?? []
        if let ids = try container.decodeIfPresent([String].self, forKey: .nodes), ids != nodes.map(\.id) {
            throw DecodingError.dataCorruptedError(forKey: .nodes, in: container,
                                                   debugDescription: "'nodes' must name the ids of 'node_specs', in order")
        }
        subject = ActionSubject(node: try container.decodeIfPresent(String.self, forKey: .node),
                                shard: try container.decodeIfPresent(String.self, forKey: .shard),
                                destination: try container.decodeIfPresent(String.self, forKey: .destination),
                                nodes: nodes, version: try container.decodeIfPresent(String.self, forKey: .version))
        failover = try container.decodeIfPresent(PlannedFailover.self, forKey: .failover)
        predictedDuration = .milliseconds(try container.decode(Int64.self, forKey: .predictedMS))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(cache, forKey: .cache)
        try container.encode(plugin, forKey: .plugin)
        try container.encode(stepIndex, forKey: .stepIndex)
        try container.encode(stepLocation.description, forKey: .stepLocation)
        try container.encode(summary, forKey: .summary)
        try container.encodeIfPresent(subject.node, forKey: .node)
        try container.encodeIfPresent(subject.shard, forKey: .shard)
        try container.encodeIfPresent(subject.destination, forKey: .destination)
        if !subject.nodes.isEmpty {
            try container.encode(subject.nodes.map(\.id), forKey: .nodes)
            try container.encode(subject.nodes, forKey: .nodeSpecs)
        }
        try container.encodeIfPresent(subject.version, forKey: .version)
        try container.encodeIfPresent(failover, forKey: .failover)
        try container.encode(predictedDuration.milliseconds, forKey: .predictedMS)
    }
}

extension SourceLocation {
    /// Reads `file:line:col` back (the file may itself hold colons).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]),
              line >= 1, column >= 1 else { return nil }
        self.init(file: parts.dropLast(2).joined(separator: ":"), line: line, column: column)
    }
}
