import MaintenanceKit
import Testing

/// The fault language of `--inject`, `faults:` and `verify`'s counterexamples.
@Suite struct FaultSyntaxTests {
    @Test(arguments: [
        "kill node-2 after migrate_shards#3",
        "kill node-2 after migrate_shards#3.1",
        "pause shard s1 primary 500ms at 12s",
        "slow node-4 10x 30s after create_vms#1",
        "partition node-3 5s at 1m",
        "pause node-1 1500ms after drain_node#2",
    ])
    func readsBackWhatItPrints(_ text: String) throws {
        let fault = try FaultSyntax.parse(text)
        #expect(fault.description == text)
        #expect(try FaultSyntax.parse(fault.description) == fault)
    }

    @Test func readsTheParts() throws {
        let fault = try FaultSyntax.parse("pause shard s1 primary 500ms at 12s")
        #expect(fault.fault.kind == .pause)
        #expect(fault.fault.target == .primaryOf(shard: "s1"))
        #expect(fault.fault.duration == .milliseconds(500))
        #expect(fault.trigger == .at(.seconds(12)))
        #expect(try FaultSyntax.parse("kill node node-2 after remove_node#2").trigger == .after(step: "remove_node", number: 2, operation: nil))
    }

    @Test(arguments: [
        ("", "empty"),
        ("explode node-1 at 1s", "not a fault kind"),
        ("kill", "name the node"),
        ("kill node-1", "say when"),
        ("kill node-1 5s at 1s", "takes no duration"),
        ("pause node-1 at 1s", "needs a duration"),
        ("pause node-1 0ms at 1s", "above zero"),
        ("kill node-1 10x at 1s", "only a slow fault"),
        ("kill node-1 after migrate_shards", "STEP#N"),
        ("kill node-1 after migrate_shards#0", "counts the step's actions from 1"),
        ("kill node-1 after migrate_shards#1.x", ".OP counts"),
        ("kill node-1 at soon", "time since the rollout began"),
        ("kill node-1 at 1s and more", "unexpected 'and'"),
        ("kill shard s1 at 1s", "'shard ID primary'"),
        ("kill no/de at 1s", "not a node id"),
        ("slow node-1 5000x 1s at 1s", "between 1x and 1000x"),
    ])
    func rejectsWhatItCannotRead(_ text: String, _ expected: String) {
        #expect {
            try FaultSyntax.parse(text)
        } throws: { error in
            (error as? ConfigValueError)?.message.contains(expected) == true
        }
    }
}

/// A playbook's `faults:` list and the failure policy, checked where they are written.
@Suite struct PlaybookFaultsTests {
    func messages(_ playbook: String) -> [String] { Fixtures.diagnostics(playbook).map(\.description) }

    @Test func readsFaultsAndTheFailurePolicy() throws {
        let text = Fixtures.rollingPatch + """

            faults:
              - kill a2 after migrate_shards#2
            """
        let loaded = try Fixtures.load(text.replacingOccurrences(of: "policy:\n", with: """
            policy:
              on_unplanned_failure: continue
              failure_detection: { heartbeat: 50ms, down_after: 400ms, quorum: 3 }

            """))
        #expect(loaded.playbook.faults.map(\.description) == ["kill a2 after migrate_shards#2"])
        #expect(loaded.playbook.policy.onUnplannedFailure == .continue)
        #expect(loaded.playbook.policy.failureDetection == FailureDetection(heartbeat: .milliseconds(50), downAfter: .milliseconds(400), quorum: 3))
    }

    @Test func reportsBadFaultsAtTheirLine() {
        let found = messages("""
            name: x
            policy:
              on_unplanned_failure: panic
              failure_detection: { heartbeat: 1ms }
            steps:
              - step: delete_vms
            faults:
              - kill n9 after delete_vms#1
              - kill a1 after migrate_shards#1
              - kill a1 whenever
              - { kill: a1 }
            """)
        #expect(found.contains { $0.hasPrefix("playbook.yaml:3:25: error: 'panic' is not one of pause, abort, continue") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:4:22: error: heartbeat must be between 10ms and 10s") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:8:5: error: no targeted cache has a node 'n9'") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:9:5: error: the playbook has no 'migrate_shards' step") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:10:5: error: '") || $0.hasPrefix("playbook.yaml:10:5: error: say when") })
        #expect(found.contains { $0.hasPrefix("playbook.yaml:11:5: error: a fault is one line of text") })
    }
}
