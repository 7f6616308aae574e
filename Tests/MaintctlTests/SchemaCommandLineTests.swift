import Foundation
import Testing

/// `maintctl schema`, checked with a real validator (check-jsonschema from PyPI, which reads the
/// YAML files as they are).
@Suite struct SchemaCommandLineTests {
    /// check-jsonschema in the tests' Python environment (scripts/test installs it).
    static let validator = URL(fileURLWithPath: CLI.python).deletingLastPathComponent().path + "/check-jsonschema"

    /// Writes `maintctl schema document` to a file and returns its path.
    static func schema(_ document: String) async throws -> String {
        let path = try CLI.temporaryDirectory() + "/\(document).schema.json"
        let result = try await CLI.run(["schema", document, "-o", path])
        #expect(result.status == 0, "\(result.stderr)")
        return path
    }

    static func validate(_ files: [String], against schema: String) async throws -> CLI.Result {
        #expect(FileManager.default.isExecutableFile(atPath: validator), "no check-jsonschema at \(validator): run scripts/test")
        return try await CLI.run(program: validator, ["--schemafile", schema] + files)
    }

    @Test func theSchemasAreValidJSONSchemaAndNameEveryStepKind() async throws {
        let playbook = try await Self.schema("playbook"), inventory = try await Self.schema("inventory")
        let meta = try await CLI.run(program: Self.validator, ["--check-metaschema", playbook, inventory])
        #expect(meta.status == 0, "\(meta.stdout)\(meta.stderr)")
        let text = try String(contentsOfFile: playbook, encoding: .utf8)
        let plugins = try await CLI.run(["plugins"])
        let kinds = plugins.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("      ") && $0.contains("[per ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(kinds.count == 9)
        for kind in kinds { #expect(text.contains("\"const\" : \"\(kind)\""), "\(kind) is missing") }
    }

    @Test func everyShippedAndStarterFileValidates() async throws {
        let playbookSchema = try await Self.schema("playbook"), inventorySchema = try await Self.schema("inventory")
        let starter = try CLI.temporaryDirectory()
        #expect(try await CLI.run(["init", "--directory", starter]).status == 0)
        let playbooks = ["Playbooks/rolling-patch.yaml", "Playbooks/rolling-restart.yaml", "Tests/Playbooks/unsafe-break-before-make.yaml",
                         "Tests/Playbooks/unsafe-small-vms.yaml", starter + "/playbook.yaml"]
        let inventories = ["Playbooks/inventories/demo-fleet.yaml", "Playbooks/inventories/local-cluster.yaml", starter + "/inventory.yaml"]
        for (files, schema) in [(playbooks, playbookSchema), (inventories, inventorySchema)] {
            let result = try await Self.validate(files, against: schema)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }
    }

    @Test(arguments: [
        ("steps:\n  - step: elect_leader\n", "'name' is a required property"),
        ("name: x\nsteps:\n  - step: for_each_node\n", "'for_each_node' is not one of"),
        ("name: x\nsteps:\n  - step: create_vms\n", "'with' is a required property"),
        ("name: x\nsteps:\n  - step: create_vms\n    with: {nodes: [n1]}\n", "'version' is a required property"),
        ("name: x\nsteps:\n  - step: create_vms\n    with: {version: \"7\", colour: red}\n", "('colour' was unexpected)"),
        ("name: x\nsteps:\n  - step: elect_leader\n    retries: 11\n", "11 is greater than the maximum of 10"),
        ("name: x\nsteps:\n  - for_each: old_node\n    steps:\n      - step: migrate_shards\n        with: {order: sideways}\n",
         "'sideways' is not one of ['replicas_first', 'primaries_first', 'inventory']"),
        ("name: x\nsteps:\n  - for_each: old_node\n    steps:\n      - step: create_vms\n        with: {version: \"7\"}\n",
         "'create_vms' is not one of"),
        ("name: x\npolicy: {on_failure: shrug}\nsteps:\n  - step: elect_leader\n", "'shrug' is not one of ['stop_all', 'isolate_cache']"),
        ("name: x\nsteps:\n  - step: elect_leader\n    timeout: soon\n", "$.steps[0].timeout"),
    ])
    func aWrongPlaybookFailsTheSchemaWhereMaintctlRefusesIt(playbook: String, message: String) async throws {
        let schema = try await Self.schema("playbook")
        let file = try CLI.temporaryFile(playbook)
        let result = try await Self.validate([file], against: schema)
        #expect(result.status != 0)
        #expect(result.stdout.contains(message), "\(result.stdout)")
        // maintctl refuses it too.
        let validated = try await CLI.run(["validate", file, "--inventory", "Playbooks/inventories/demo-fleet.yaml"])
        #expect(validated.status == 2, "\(validated.stdout)")
    }

    @Test func aWrongInventoryFailsTheSchema() async throws {
        let schema = try await Self.schema("inventory")
        let inventory = try CLI.temporaryFile("""
            caches:
              - id: c1
                resource_group: rg
                region: r
                leader: n1
                nodes: [{ id: n1, version: "7", capacity: { memory_mb: 1024 } }]
                shards: [{ id: s1, primary: n1, replicas: [], size_mb: 1 }]
                password: { secret: hunter2 }
            """, name: "inventory.yaml")
        let result = try await Self.validate([inventory], against: schema)
        #expect(result.status != 0)
        #expect(result.stdout.contains("'cpus' is a required property"), "\(result.stdout)")
        #expect(result.stdout.contains("('secret' was unexpected)"), "\(result.stdout)")
    }
}
