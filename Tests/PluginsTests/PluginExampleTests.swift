import Foundation
import Logging
import MaintenanceKit
import Plugins
import SimulatedBackend
import Testing

/// Each plugin's own example is a test: it validates, plans and runs on the simulated backend.
@Suite struct PluginExampleTests {
    static let registry = try! PluginRegistry(steps: BuiltinPlugins.all)

    static let inventory = """
        caches:
          - id: demo
            resource_group: rg
            region: here
            leader: d1
            nodes:
              - { id: d1, version: "7.2.4", capacity: { memory_mb: 8192, cpus: 8 } }
              - { id: d2, version: "7.2.4", capacity: { memory_mb: 8192, cpus: 8 } }
              - { id: d3, version: "7.2.4", capacity: { memory_mb: 8192, cpus: 8 } }
            shards:
              - { id: s1, primary: d1, replicas: [d2], size_mb: 100 }
              - { id: s2, primary: d2, replicas: [d3], size_mb: 100 }
              - { id: s3, primary: d3, replicas: [d1], size_mb: 100 }
        """

    /// The playbooks the built-in steps belong in; each plugin's example replaces its own line.
    static let skeletons = [
        """
        name: example
        steps:
          - step: create_vms
            with: { version: "7.2.5" }
          - step: elect_leader
          - for_each: old_node
            steps:
              - step: drain_node
              - step: migrate_shards
              - step: remove_node
          - step: delete_vms
        """,
        """
        name: example
        steps:
          - for_each: node
            steps:
              - step: failover_primaries
              - step: restart_node
        """,
        """
        name: example
        steps:
          - for_each: node
            steps:
              - step: drain_node
              - step: restore_node
        """,
    ]

    /// The skeleton holding step `id`, with its line replaced by `example`, indented alike.
    static func playbook(around example: String, id: String) -> String? {
        for skeleton in skeletons {
            var lines = skeleton.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let index = lines.firstIndex(where: { $0.hasSuffix("- step: \(id)") }) else { continue }
            let indent = String(lines[index].prefix { $0 == " " })
            var replacement = example.split(separator: "\n").enumerated().map { offset, line in
                indent + (offset == 0 ? "- " : "  ") + line
            }
            // Keep the skeleton's own parameters of create_vms when the example has none.
            if index + 1 < lines.count, lines[index + 1].trimmingCharacters(in: .whitespaces).hasPrefix("with:") {
                if example.contains("with:") { lines.remove(at: index + 1) } else { replacement.append(lines.remove(at: index + 1)) }
            }
            lines.replaceSubrange(index...index, with: replacement)
            return lines.joined(separator: "\n")
        }
        return nil
    }

    @Test(arguments: BuiltinPlugins.all.map(\.id))
    func exampleValidatesPlansAndRuns(id: String) async throws {
        let plugin = try #require(Self.registry.step(id))
        let text = try #require(Self.playbook(around: plugin.descriptor.example, id: id), "no skeleton holds '\(id)'")
        let inventory = try InventoryLoader.load(SourceFile(path: "inventory.yaml", text: Self.inventory))
        let loaded = try PlaybookLoader(registry: Self.registry).load(SourceFile(path: "\(id).yaml", text: text), inventory: inventory)
        let plan = try Planner(registry: Self.registry).plan(loaded.playbook, inventory: inventory)
        #expect(plan.caches.first?.actions.contains { $0.plugin == id } == true, "the example plans at least one '\(id)' action")
        let backend = SimulatedBackend(inventory: inventory)
        let summary = try await RolloutRuntime(plan: plan, registry: Self.registry, backend: backend,
                options: RolloutOptions(reporter: Silent(), stop: StopSignal(), logger: Logger(label: "test"))).run()
        #expect(summary.status == .succeeded, "\(summary.caches.first?.error ?? "")")
        #expect(summary.failovers.count == plan.expectedFailovers.count)
    }

    @Test func everyPluginDescribesItself() {
        for plugin in BuiltinPlugins.all {
            #expect(!plugin.descriptor.summary.isEmpty)
            #expect(plugin.descriptor.defaultTimeout > .zero)
            #expect(plugin.descriptor.example.contains("step: \(plugin.id)"))
        }
    }

    @Test func replacementNamesDoNotStackVersions() throws {
        let plan = try Planner(registry: Self.registry).plan(
            try PlaybookLoader(registry: Self.registry).load(
                SourceFile(path: "p.yaml", text: "name: p\nsteps:\n  - step: create_vms\n    with: { version: \"7.2.6\" }\n"),
                inventory: try InventoryLoader.load(SourceFile(path: "i.yaml", text: Self.inventory.replacingOccurrences(of: "id: d1,", with: "id: d1-7.2.4,").replacingOccurrences(of: "leader: d1", with: "leader: d1-7.2.4").replacingOccurrences(of: "primary: d1,", with: "primary: d1-7.2.4,").replacingOccurrences(of: "replicas: [d1]", with: "replicas: [d1-7.2.4]")))).playbook,
            inventory: try InventoryLoader.load(SourceFile(path: "i.yaml", text: Self.inventory.replacingOccurrences(of: "id: d1,", with: "id: d1-7.2.4,").replacingOccurrences(of: "leader: d1", with: "leader: d1-7.2.4").replacingOccurrences(of: "primary: d1,", with: "primary: d1-7.2.4,").replacingOccurrences(of: "replicas: [d1]", with: "replicas: [d1-7.2.4]"))))
        #expect(plan.caches.first?.replacements.map(\.new) == ["d1-7.2.6", "d2-7.2.6", "d3-7.2.6"])
    }

    struct Silent: RolloutReporter {
        func report(_ event: RolloutEvent) {}
    }
}
