/// The JSON Schema of a playbook: its top-level keys from the playbook model and, for each step
/// kind, its `with:` parameters from the plugin's typed descriptor (so a new plugin appears in
/// it with no other change). Editors use it through yaml-language-server:
/// `# yaml-language-server: $schema=playbook.schema.json`.
public enum PlaybookSchema {
    /// The schema for playbooks whose steps are `steps` (a registry's descriptors).
    public static func document(steps: [StepDescriptor]) -> JSONValue {
        let cacheSteps = steps.filter { $0.scope == .cache }, nodeSteps = steps.filter { $0.scope == .node }
        let root = JSONSchema.object([
            ("name", JSONSchema.string(description: "Short name of the maintenance.", minLength: 1)),
            ("description", JSONSchema.string(description: "What the maintenance is for.")),
            ("inventory", JSONSchema.string(description: "The inventory file, relative to the playbook; `--inventory` overrides it.")),
            ("policy", JSONSchema.reference("policy")),
            ("targets", JSONSchema.object([
                ("caches", JSONSchema.array(of: JSONSchema.string(), description: "Cache ids; all caches when absent.")),
                ("resource_groups", JSONSchema.array(of: JSONSchema.string(), description: "Resource groups; all when absent.")),
                ("regions", JSONSchema.array(of: JSONSchema.string(), description: "Regions; all when absent.")),
            ], description: "Which caches of the inventory it applies to; every filter given must match.")),
            ("variables", JSONSchema.map(of: .object([.init(key: "type", value: .array([.string("string"), .string("number"), .string("boolean")]))]),
                                         description: "Values substituted into step parameters as ${name}.")),
            ("maintenance_windows", JSONSchema.array(of: JSONSchema.reference("window"),
                                                     description: "Weekly windows the rollout may work in; they replace the inventory's.")),
            ("faults", JSONSchema.array(of: JSONSchema.string(description: "e.g. 'kill node-2 after migrate_shards#3' or 'pause shard s1 primary 500ms at 12s'", minLength: 1),
                                        description: "Faults to inject while it runs (a rehearsal).")),
            ("steps", JSONSchema.array(of: entry(cacheSteps, allowingBlocks: true), minItems: 1,
                                       description: "The steps in order; per-node steps stand inside a for_each block.")),
        ], required: ["name", "steps"])
        guard case let .object(rootMembers) = root else { return root }
        return JSONSchema.document(id: "https://maintctl.dev/schemas/playbook.schema.json", title: "maintctl playbook", root: rootMembers, definitions: [
            ("policy", policy),
            ("window", window),
            ("for_each", JSONSchema.object([
                ("for_each", JSONSchema.enumeration(of: NodeSelection.self,
                                                    description: "old_node: the nodes an earlier step replaces, one at a time; node: every node the cache had.")),
                ("name", JSONSchema.string(description: "A name for people.")),
                ("steps", JSONSchema.array(of: entry(nodeSteps, allowingBlocks: false), minItems: 1, description: "Steps for one node, in order.")),
            ], required: ["for_each", "steps"], description: "Steps run for each selected node, one node at a time.")),
        ])
    }

    /// One entry of a step list: a step of one of `kinds` (its `with:` checked by the kind it
    /// names, so an editor reports the parameter that is wrong, not every kind that did not
    /// match) or, where blocks may stand, a `for_each` block.
    static func entry(_ kinds: [StepDescriptor], allowingBlocks: Bool) -> JSONValue {
        var dispatch: [JSONValue] = kinds.map { kind in
            .object([
                .init(key: "if", value: .object([
                    .init(key: "properties", value: .object([.init(key: "step", value: JSONSchema.constant(kind.id))])),
                    .init(key: "required", value: .array([.string("step")])),
                ])),
                .init(key: "then", value: invocation(kind)),
            ])
        }
        var alternatives: [JSONValue] = [.object([.init(key: "required", value: .array([.string("step")]))])]
        var properties: [JSONValue.Member] = [
            .init(key: "step", value: JSONSchema.enumeration(kinds.map(\.id), description: "The step kind (maintctl plugins lists them).")),
        ]
        if allowingBlocks {
            dispatch.append(.object([
                .init(key: "if", value: .object([.init(key: "required", value: .array([.string("for_each")]))])),
                .init(key: "then", value: JSONSchema.reference("for_each")),
            ]))
            alternatives.append(.object([.init(key: "required", value: .array([.string("for_each")]))]))
            properties.append(.init(key: "for_each", value: JSONSchema.enumeration(of: NodeSelection.self)))
        }
        return .object([
            .init(key: "type", value: .string("object")),
            .init(key: "properties", value: .object(properties)),
            .init(key: "oneOf", value: .array(alternatives)),
            .init(key: "allOf", value: .array(dispatch)),
        ])
    }

    /// One step entry of kind `descriptor.id`.
    static func invocation(_ descriptor: StepDescriptor) -> JSONValue {
        var properties: [(String, JSONValue)] = [
            ("step", JSONSchema.constant(descriptor.id)),
            ("name", JSONSchema.string(description: "A name for people.")),
        ]
        if !descriptor.parameters.isEmpty {
            properties.append(("with", JSONSchema.parameters(descriptor.parameters, description: "Parameters of \(descriptor.id).")))
        }
        properties.append(("timeout", JSONSchema.duration(description: "Time limit of one action (default \(descriptor.defaultTimeout.humanReadable)).")))
        if descriptor.isRetryable {
            properties.append(("retries", JSONSchema.integer(0...10, description: "Attempts after a failed one (the step checks before it acts).")))
        }
        let required = descriptor.parameters.contains(where: \.isRequired) ? ["step", "with"] : ["step"]
        return JSONSchema.object(properties, required: required, description: descriptor.summary)
    }

    static var policy: JSONValue {
        let defaults = Policy()
        return JSONSchema.object([
            ("max_parallel_caches", JSONSchema.integer(1...1000, description: "How many caches may be under maintenance at once (default \(defaults.maxParallelCaches)).")),
            ("one_cache_at_a_time_per", JSONSchema.enumeration(of: ExclusionScope.self, description: "Which caches are never under maintenance together; never narrower than the seed's resource group and region.",
                                                               default: defaults.oneCacheAtATimePer)),
            ("on_failure", JSONSchema.enumeration(of: FailurePolicy.self, description: "What the rollout does when an action fails for good.",
                                                  default: defaults.onFailure)),
            ("on_unplanned_failure", JSONSchema.enumeration(of: UnplannedFailurePolicy.self, description: "What a cache's rollout does when one of its nodes fails under it.",
                                                            default: defaults.onUnplannedFailure)),
            ("failure_detection", JSONSchema.object([
                ("heartbeat", JSONSchema.duration(description: "How often each observer checks each node, 10ms to 10s (default 100ms).")),
                ("down_after", JSONSchema.duration(description: "How long a node stays silent before it is declared down, at least two heartbeats (default 750ms).")),
                ("quorum", JSONSchema.integer(1...9, description: "How many observers must agree (default 2).")),
            ], description: "How a dead node is told from a slow one.")),
        ], description: "Concurrency and failure policy.")
    }

    static var window: JSONValue {
        JSONSchema.object([
            ("days", JSONSchema.array(of: JSONSchema.enumeration(of: MaintenanceWindow.Weekday.self), minItems: 1, uniqueItems: true,
                                      description: "The days it opens on.")),
            ("start", JSONSchema.string(description: "Local time it opens, HH:MM.", pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$")),
            ("duration", JSONSchema.duration(description: "How long it stays open: 4h to a week.")),
            ("time_zone", JSONSchema.string(description: "IANA time zone of its times, e.g. Europe/Berlin.", minLength: 1)),
        ], required: ["days", "start", "duration", "time_zone"], description: "A weekly maintenance window.")
    }
}
