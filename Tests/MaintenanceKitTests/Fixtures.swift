import Foundation
import MaintenanceKit
import Plugins

/// Shared inputs for the core tests: a small inventory, a registry, and loading from text.
enum Fixtures {
    static let registry = try! PluginRegistry(steps: BuiltinPlugins.all)

    /// Two caches in one resource group and region, one elsewhere.
    static let inventoryText = """
        caches:
          - id: a
            resource_group: rg1
            region: west
            leader: a1
            nodes:
              - { id: a1, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
              - { id: a2, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
              - { id: a3, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
            shards:
              - { id: s1, primary: a1, replicas: [a2], size_mb: 100 }
              - { id: s2, primary: a2, replicas: [a3], size_mb: 200 }
              - { id: s3, primary: a3, replicas: [a1], size_mb: 300 }
          - id: b
            resource_group: rg1
            region: west
            leader: b1
            nodes:
              - { id: b1, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
              - { id: b2, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
            shards:
              - { id: s1, primary: b1, replicas: [b2], size_mb: 100 }
          - id: c
            resource_group: rg2
            region: east
            leader: c1
            nodes:
              - { id: c1, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
              - { id: c2, version: "1.0", capacity: { memory_mb: 8192, cpus: 4 } }
            shards:
              - { id: s1, primary: c1, replicas: [c2], size_mb: 100 }
              - { id: s2, primary: c2, replicas: [c1], size_mb: 100 }
        """

    static let rollingPatch = """
        name: patch
        policy:
          max_parallel_caches: 4
        variables:
          target: "2.0"
        steps:
          - step: create_vms
            with:
              version: ${target}
          - step: elect_leader
          - for_each: old_node
            steps:
              - step: drain_node
              - step: migrate_shards
              - step: remove_node
          - step: delete_vms
        """

    static var inventory: Inventory { try! InventoryLoader.load(SourceFile(path: "inventory.yaml", text: inventoryText)) }

    /// Loads a playbook written in a test against the fixture inventory (or `inventory`).
    static func load(_ playbook: String, inventory: String = inventoryText) throws(DiagnosticsError) -> LoadedPlaybook {
        let loadedInventory = try InventoryLoader.load(SourceFile(path: "inventory.yaml", text: inventory))
        return try PlaybookLoader(registry: registry)
            .load(SourceFile(path: "playbook.yaml", text: playbook), inventory: loadedInventory)
    }

    /// The diagnostics a playbook produces (empty when it is valid).
    static func diagnostics(_ playbook: String) -> [Diagnostic] {
        do {
            _ = try load(playbook)
            return []
        } catch {
            return error.diagnostics
        }
    }

    /// Plans a playbook against the fixture inventory.
    static func plan(_ playbook: String = rollingPatch) throws -> Plan {
        let loaded = try load(playbook)
        return try Planner(registry: registry).plan(loaded.playbook, inventory: loaded.inventory)
    }
}
