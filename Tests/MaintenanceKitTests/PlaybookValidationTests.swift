import MaintenanceKit
import Testing

/// Every class of playbook problem is reported at its line and column, all in one pass.
@Suite struct PlaybookValidationTests {
    func messages(_ playbook: String) -> [String] { Fixtures.diagnostics(playbook).map(\.description) }

    @Test func acceptsTheRollingPatch() {
        #expect(messages(Fixtures.rollingPatch).isEmpty)
    }

    @Test func reportsSyntaxErrors() {
        let found = messages("name: x\nsteps: [\n  - step: create_vms\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("playbook.yaml:"))
        #expect(found[0].contains("error: YAML syntax"))
    }

    @Test func reportsWrongTypes() {
        let found = messages("name: x\npolicy:\n  max_parallel_caches: lots\nsteps:\n  - step: delete_vms\n")
        #expect(found == ["playbook.yaml:3:24: error: expected a whole number, found 'lots'"])
    }

    @Test func reportsMissingRequiredFields() {
        let found = messages("steps:\n  - step: create_vms\n    with: {}\n")
        #expect(found.contains("playbook.yaml:1:1: error: missing required key 'name'"))
        #expect(found.contains("playbook.yaml:3:11: error: missing required key 'version'"))
    }

    @Test func reportsUnknownKeysWithASuggestion() {
        let found = messages("name: x\npolicy:\n  max_paralel_caches: 2\nsteps:\n  - step: delete_vms\n    timout: 5m\n")
        #expect(found.contains("playbook.yaml:3:3: error: unknown key 'max_paralel_caches' in playbook; did you mean 'max_parallel_caches'?"))
        #expect(found.contains("playbook.yaml:6:5: error: unknown key 'timout' in playbook; did you mean 'timeout'?"))
    }

    @Test func reportsUnknownParametersOfAStep() {
        let found = messages("name: x\nsteps:\n  - step: create_vms\n    with:\n      versoin: \"2\"\n")
        #expect(found.contains("playbook.yaml:5:7: error: unknown key 'versoin' in step 'create_vms'; did you mean 'version'?"))
    }

    @Test func reportsUnknownStepKindsWithASuggestion() {
        let found = messages("name: x\nsteps:\n  - step: create_vm\n    with: { version: \"2\" }\n")
        #expect(found == ["playbook.yaml:3:11: error: unknown step kind 'create_vm'; did you mean 'create_vms'?"])
    }

    @Test func reportsParametersAPluginRejects() {
        let found = messages("""
            name: x
            steps:
              - step: create_vms
                with: { version: "2 0" }
              - for_each: old_node
                steps:
                  - step: migrate_shards
                    with: { order: fastest_first }
            """)
        #expect(found.contains("playbook.yaml:4:22: error: step 'create_vms': version '2 0' must be letters, digits, '.', '_' or '-'"))
        #expect(found.contains("playbook.yaml:8:24: error: 'fastest_first' is not one of replicas_first, primaries_first, inventory"), "\(found)")
    }

    @Test func reportsReferencesTheInventoryLacks() {
        let found = messages("""
            name: x
            targets:
              caches: [a, cache-z]
              regions: [wst]
            steps:
              - step: create_vms
                with: { version: "2", nodes: [a1, a9] }
            """)
        #expect(found.contains("playbook.yaml:3:15: error: the inventory has no cache 'cache-z'"))
        #expect(found.contains("playbook.yaml:4:13: error: the inventory has no region 'wst'; did you mean 'west'?"))
        #expect(found.count == 3)
        #expect(found.contains("playbook.yaml:7:39: error: step 'create_vms': no targeted cache has a node 'a9'; did you mean 'a1'?"))
    }

    @Test func reportsEmptyStepLists() {
        #expect(messages("name: x\nsteps: []\n") == ["playbook.yaml:2:8: error: the step list is empty"])
        #expect(messages("name: x\nsteps:\n  - step: create_vms\n    with: { version: \"2\" }\n  - for_each: old_node\n    steps: []\n")
            == ["playbook.yaml:6:12: error: the for_each block has no steps"])
    }

    @Test func reportsStepsOutsideTheirScope() {
        let found = messages("name: x\nsteps:\n  - step: migrate_shards\n  - for_each: node\n    steps:\n      - step: delete_vms\n")
        #expect(found.contains { $0.hasPrefix("playbook.yaml:3:11: error: step 'migrate_shards' acts on one node") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:6:15: error: step 'delete_vms' acts on a whole cache") })
    }

    @Test func reportsUndefinedVariablesAndUnsafeRetries() {
        let found = messages("""
            name: x
            variables: { target: "2" }
            steps:
              - step: create_vms
                with: { version: "${targte}" }
                retries: 20
            """)
        #expect(found.contains("playbook.yaml:5:22: error: undefined variable 'targte'; did you mean 'target'?"))
        #expect(found.filter { $0.hasPrefix("playbook.yaml:5:22:") }.count == 1)
        #expect(found.contains("playbook.yaml:6:14: error: retries must be between 0 and 10"))
    }

    @Test func reportsAllProblemsOfAFileInOnePassSortedByPosition() {
        let found = Fixtures.diagnostics("""
            name: x
            polcy: {}
            steps:
              - step: creat_vms
              - step: elect_leader
                timeout: never
              - step: delete_vms
                retries: many
            """)
        #expect(found.count == 4)
        #expect(found.map(\.location.line) == [2, 4, 6, 8])
    }

    @Test func oldNodeBlocksNeedAReplacementStepFirst() {
        let found = messages("name: x\nsteps:\n  - for_each: old_node\n    steps:\n      - step: drain_node\n  - step: create_vms\n    with: { version: \"2\" }\n")
        #expect(found == ["playbook.yaml:3:15: error: 'for_each: old_node' visits the nodes an earlier step replaces; put 'create_vms' before this block"])
    }

    @Test func aBadPolicyValueDoesNotHideOtherProblems() {
        let found = messages("name: x\npolicy:\n  max_parallel_caches: 0\n  on_failure: panic\nsteps:\n  - step: creat_vms\n")
        #expect(found.contains("playbook.yaml:3:24: error: max_parallel_caches must be between 1 and 1000"))
        #expect(found.contains { $0.hasPrefix("playbook.yaml:4:15: error: 'panic' is not one of stop_all, isolate_cache") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:6:11: error: unknown step kind 'creat_vms'") })
        #expect(messages("name: x\npolicy: [1]\nsteps:\n  - step: creat_vms\n").count == 2)
    }

    @Test func aStepCannotBeBothKinds() {
        let found = messages("name: x\nsteps:\n  - step: delete_vms\n    for_each: node\n    steps: []\n")
        #expect(found.contains { $0.contains("has either 'step:' or 'for_each:', not both") })
    }

    @Test func reportsAMissingInventory() throws {
        let problems: [Diagnostic]
        do {
            _ = try PlaybookLoader(registry: Fixtures.registry).load(
                SourceFile(path: "/tmp/p.yaml", text: "name: x\ninventory: nowhere/inv.yaml\nsteps:\n  - step: delete_vms\n"))
            problems = []
        } catch {
            problems = error.diagnostics
        }
        #expect(problems.map(\.description) == ["/tmp/p.yaml:2:12: error: inventory '/tmp/nowhere/inv.yaml': no such file"])
    }
}
