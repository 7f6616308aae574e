import MaintenanceKit
import Testing

@Suite struct InventoryTests {
    func problems(_ text: String) -> [String] {
        do {
            _ = try InventoryLoader.load(SourceFile(path: "inv.yaml", text: text))
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func loadsTheFixture() {
        #expect(Fixtures.inventory.caches.map(\.id) == ["a", "b", "c"])
        #expect(Fixtures.inventory.cache("a")?.minReplicas == 1)
    }

    /// Machines' names reach `ssh` and the servers' command lines: only host names and addresses.
    @Test func reportsAMachineThatIsNoHostNameOrAddress() {
        let found = problems("""
            caches:
              - id: a
                resource_group: rg
                region: r
                leader: a1
                nodes:
                  - { id: a1, version: "1", capacity: { memory_mb: 1024, cpus: 1 }, host: "h1;touch x" }
                  - { id: a2, version: "1", capacity: { memory_mb: 1024, cpus: 1 }, host: 10.0.0.2, ssh: { user: "-oProxyCommand=x", port: 0 } }
                spare_hosts:
                  - { host: "-oProxyCommand=touch x" }
                  - { host: "fe80::1", ssh: { user: deploy, port: 2222, identity_file: /k, known_hosts_file: /kh } }
                shards:
                  - { id: s1, primary: a1, replicas: [a2], size_mb: 1 }
            """)
        #expect(found.contains("inv.yaml:7:79: error: host 'h1;touch x' must be a host name or an IP address (letters, digits, '.', '-', ':')"), "\(found)")
        #expect(found.contains { $0.hasPrefix("inv.yaml:8:") && $0.contains("user '-oProxyCommand=x' must be") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("inv.yaml:10:") && $0.contains("host '-oProxyCommand=touch x' must be") }, "\(found)")
        #expect(found.count == 3, "\(found)")
    }

    @Test func reportsInconsistentTopology() {
        let found = problems("""
            caches:
              - id: a
                resource_group: rg
                region: r
                leader: a9
                nodes:
                  - { id: a1, version: "1", capacity: { memory_mb: 1024, cpus: 1 } }
                  - { id: a1, version: "1", capacity: { memory_mb: 0, cpus: 1 } }
                shards:
                  - { id: s1, primary: a1, replicas: [a1], size_mb: 1 }
                  - { id: s2, primary: a2, replicas: [], size_mb: 1 }
            """)
        #expect(found.contains("inv.yaml:5:13: error: leader 'a9' is not a node of cache 'a'; did you mean 'a1'?"))
        #expect(found.contains("inv.yaml:8:15: error: node id 'a1' is used twice in the fleet"))
        #expect(found.contains("inv.yaml:8:56: error: memory_mb must be positive and at most 1000000000"))
        #expect(found.contains("inv.yaml:10:9: error: shard 's1' has two copies on one node; copies must be on distinct nodes (invariant 3)"))
        #expect(found.contains("inv.yaml:11:28: error: node 'a2' is not a node of cache 'a'; did you mean 'a1'?"))
        #expect(found.contains("inv.yaml:11:42: error: shard 's2' has 0 replicas, fewer than min_replicas 1 (invariant 5)"))
    }

    @Test(arguments: [
        ("{ env: A, file: /f }", "inv.yaml:6:15: error: a password names exactly one of env (an environment variable) and file"),
        ("{ env: \"1 bad\" }", "inv.yaml:6:15: error: env '1 bad' is no environment variable name (letters, digits, '_')"),
        ("{ secret: x }", "inv.yaml:6:17: error:"),
    ])
    func reportsAPasswordThatNamesNoSecretOrTheSecretItself(password: String, expected: String) {
        let found = problems(Self.cache(withLine: "password: \(password)"))
        #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
    }

    /// A valid one-cache inventory with `line` as its line 6, among the cache's keys.
    static func cache(withLine line: String) -> String {
        """
        caches:
          - id: a
            resource_group: rg
            region: r
            leader: a1
            \(line)
            nodes:
              - { id: a1, version: "1", capacity: { memory_mb: 1024, cpus: 1 } }
              - { id: a2, version: "1", capacity: { memory_mb: 1024, cpus: 1 } }
            shards:
              - { id: s1, primary: a1, replicas: [a2], size_mb: 1 }
        """
    }

    @Test(arguments: [
        ("{ hold_limit_ms: 10 }", "inv.yaml:6:16: error: hold_limit_ms must be 100 to 60000"),
        ("{ moving_grace_seconds: -1 }", "inv.yaml:6:16: error: moving_grace_seconds must be 0 to 3600"),
        ("{ down_after_ms: 100 }", "inv.yaml:6:16: error: down_after_ms must be 300 to 600000"),
        ("{ hold_limit_ms: soon }", "inv.yaml:6:33: error: expected a whole number, found 'soon'"),
    ])
    func reportsEndpointSettingsOutOfBounds(endpoints: String, expected: String) {
        let found = problems(Self.cache(withLine: "endpoints: \(endpoints)"))
        #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
    }

    @Test func readsAPasswordFromWhereItsReferenceSays() throws {
        #expect(try SecretReference(env: "X").resolve(environment: ["X": "hush"]) == "hush")
        #expect(throws: SecretError.self) { try SecretReference(env: "X").resolve(environment: [:]) }
        #expect(!SecretReference(env: "X").description.contains("hush"))
    }

    @Test func reportsTypeErrorsInTheInventory() {
        #expect(problems("caches:\n  - id: a\n    resource_group: rg\n    region: r\n    leader: a1\n    nodes: {}\n    shards: []\n")
            == ["inv.yaml:6:12: error: expected a list, found a mapping"])
    }
}
