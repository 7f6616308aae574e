import Foundation
import Testing

/// The CLI end to end: exit codes, diagnostics on standard error, and the JSON documents.
@Suite struct CommandLineTests {
    @Test func validateAcceptsTheShippedPlaybooks() async throws {
        let result = try await CLI.run(["validate", "Playbooks/rolling-patch.yaml", "Playbooks/rolling-restart.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Playbooks/rolling-patch.yaml: ok"))
        #expect(result.stdout.contains("Playbooks/rolling-restart.yaml: ok"))
    }

    @Test func validateReportsEveryProblemAndFails() async throws {
        let path = try CLI.temporaryFile("name: bad\nsteps:\n  - step: creat_vms\n  - step: delete_vms\n    retries: lots\n")
        let result = try await CLI.run(["validate", path, "--inventory", "Playbooks/inventories/demo-fleet.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):3:11: error: unknown step kind 'creat_vms'; did you mean 'create_vms'?"))
        #expect(result.stderr.contains("\(path):5:14: error: expected a whole number, found 'lots'"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    /// A file with thousands of problems prints the first hundred and how many more there are.
    @Test func validatePrintsTheFirstHundredProblemsAndCountsTheRest() async throws {
        let path = try CLI.temporaryFile("name: many\nsteps:\n" + String(repeating: "  - step: creat_vms\n    retries: lots\n", count: 5_000))
        let result = try await CLI.run(["validate", path, "--inventory", "Playbooks/inventories/demo-fleet.yaml"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 102)
        #expect(lines.prefix(100).allSatisfy { $0.hasPrefix("\(path):") && $0.contains(": error: ") })
        #expect(lines.suffix(2) == ["… and 9900 more", "10000 errors"])
    }

    @Test func runAndPlanRefuseInvalidInputAndExecuteNothing() async throws {
        let path = try CLI.temporaryFile("name: bad\nsteps: []\n")
        for command in ["run", "plan"] {
            let result = try await CLI.run([command, path, "--inventory", "Playbooks/inventories/demo-fleet.yaml"])
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(path):2:8: error: the step list is empty"))
            #expect(!result.stdout.contains("Summary"))
        }
    }

    @Test func runPatchesTheDemoFleetAndSummarizes() async throws {
        let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Summary: succeeded on simulated"))
        #expect(result.stdout.contains("caches patched: 5 of 5; nodes replaced: 18"))
        #expect(result.stdout.contains("invariants: all held"))
        #expect(result.stdout.contains("migrate_shards  move s1 (primary"))
    }

    @Test func theSameSeedPrintsTheSameRun() async throws {
        let first = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--seed", "5"])
        let second = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--seed", "5"])
        #expect(first.status == 0 && first.stdout == second.stdout)
        // Lines come in virtual-time order.
        let stamps = first.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.map { String($0.prefix(14)) }
        #expect(stamps == stamps.sorted())
    }

    @Test func runPrintsOneJSONSummary() async throws {
        let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--format", "json", "--seed", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["status"] as? String == "succeeded")
        #expect(summary["backend"] as? String == "simulated")
        #expect((summary["invariant_violations"] as? [Any])?.isEmpty == true)
        #expect(summary["acknowledged_writes_lost"] is NSNull)
        #expect((summary["duration_ms"] as? Int ?? 0) > 0)
        let failovers = try #require(summary["failovers"] as? [[String: Any]])
        #expect(failovers.count == 33)
        #expect(failovers.allSatisfy { $0["kind"] as? String == "planned" && ($0["unavailable_ms"] as? Int ?? 0) > 0 })
        #expect((summary["caches"] as? [[String: Any]])?.count == 5)
    }

    @Test func planPrintsJSONWithExpectedFailovers() async throws {
        let result = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((plan["expected_failovers"] as? [Any])?.count == 33)
        #expect((plan["predicted_duration_ms"] as? Int ?? 0) > 0)
        let caches = try #require(plan["caches"] as? [[String: Any]])
        #expect(caches.map { $0["id"] as? String } .count == 5)
        let text = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml"])
        #expect(text.stdout.contains("Schedule:"))
    }

    @Test func anUnsafePlaybookIsRefusedWithTheInvariantNamed() async throws {
        let path = try CLI.temporaryFile("""
            name: delete-first
            inventory: \(CLI.packageRoot)/Playbooks/inventories/local-cluster.yaml
            steps:
              - step: create_vms
                with: { version: "8" }
              - step: delete_vms
            """)
        let result = try await CLI.run(["run", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):6:5: error: step 'delete_vms' would break invariant 4 (no node removed with the only up-to-date copy)"))
        #expect(!result.stdout.contains("Summary"))
    }

    @Test func validatePlansTooAndCatchesABreachOfHeadroom() async throws {
        let inventory = try String(contentsOfFile: CLI.packageRoot + "/Playbooks/inventories/local-cluster.yaml", encoding: .utf8)
            .replacingOccurrences(of: "memory_mb: 1024, cpus: 2", with: "memory_mb: 1024, cpus: 1.1")
        let inventoryPath = try CLI.temporaryFile(inventory, name: "tight.yaml")
        let result = try await CLI.run(["validate", "Playbooks/rolling-patch.yaml", "--inventory", inventoryPath])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Playbooks/rolling-patch.yaml:30:9: error: step 'migrate_shards' in cache 'local': node"))
        #expect(result.stderr.contains("(invariant 8: headroom)"))
    }

    @Test func unknownBackendIsAClearError() async throws {
        let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", "proces"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown backend 'proces'; available: simulated"))
    }

    @Test func hostileFilesAreClearErrors() async throws {
        let result = try await CLI.run(["validate", "/nonexistent/playbook.yaml", "Playbooks", "Package.swift"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/playbook.yaml:1:1: error: no such file"))
        #expect(result.stderr.contains("Playbooks:1:1: error: is a directory, expected a YAML file"))
        #expect(result.stderr.contains("Package.swift:"))
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
    }

    @Test func pluginsListsStepsAndBackends() async throws {
        let result = try await CLI.run(["plugins"])
        #expect(result.status == 0)
        for id in ["create_vms", "elect_leader", "drain_node", "migrate_shards", "remove_node", "delete_vms",
                   "failover_primaries", "restart_node", "simulated"] {
            #expect(result.stdout.contains(id))
        }
        #expect(result.stdout.contains("version: identifier (required)"))
        #expect(result.stdout.contains("order: replicas_first | primaries_first | inventory (default: replicas_first)"))
        #expect(result.stdout.contains("capacity: {memory_mb, cpus}"))
    }
}
