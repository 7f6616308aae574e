import Foundation
import Testing

/// Maintenance windows through the CLI: a start outside every window is refused, a node's drain
/// waits for a window with room for it, and bad windows are errors at their place in the file.
@Suite struct WindowCommandLineTests {
    /// A playbook patching pay-weu-2 of the demo fleet within a daily window (none: any time),
    /// as written here; `retries` for its migrate_shards step.
    static func playbook(window: String?, retries: Int = 0) throws -> String {
        try CLI.temporaryFile("""
            name: windowed
            inventory: \(CLI.packageRoot)/Playbooks/inventories/demo-fleet.yaml
            targets:
              caches: [pay-weu-2]
            \(window.map { "maintenance_windows:\n" + $0 } ?? "")
            steps:
              - step: create_vms
                with: { version: "7.2.5" }
              - step: elect_leader
              - for_each: old_node
                steps:
                  - step: drain_node
                  - step: migrate_shards
                    retries: \(retries)
                  - step: remove_node
              - step: delete_vms
            """, name: "windowed.yaml")
    }

    /// A daily UTC window that opens `opensIn` from now (negative: opened that long ago).
    static func daily(opensIn offset: TimeInterval, duration: String = "4h") -> String {
        let start = Date().addingTimeInterval(offset)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.hour, .minute], from: start)
        return """
              - days: [mon, tue, wed, thu, fri, sat, sun]
                start: "\(String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0))"
                duration: \(duration)
                time_zone: UTC
            """
    }

    @Test func aStartOutsideEveryWindowIsRefusedUnlessNow() async throws {
        let playbook = try Self.playbook(window: Self.daily(opensIn: 3600))
        let refused = try await CLI.run(["run", playbook])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("refused: outside the maintenance windows; the next opens at"))
        #expect(refused.stderr.contains("Pass --now"))
        #expect(!refused.stdout.contains("create_vms"), "nothing ran")
        let forced = try await CLI.run(["run", playbook, "--now"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(!forced.stdout.contains("paused"))
    }

    @Test func aNodesDrainWaitsForAWindowWithRoomForIt() async throws {
        // The window closes 3 to 4 minutes from now, before the rollout's 5 simulated minutes end.
        let playbook = try Self.playbook(window: Self.daily(opensIn: -(4 * 3600 - 4 * 60)))
        let result = try await CLI.run(["run", playbook])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let pause = try #require(lines.firstIndex { $0.contains("⏸ paused: ") })
        #expect(lines[pause].contains("needs about"))
        #expect(lines[pause + 1].contains("drain_node"), "the pause comes before a node's drain")
        // The drain after the pause starts when the window opens again, about 20 hours later
        // on the rollout's clock.
        let hours = Int(lines[pause + 1].dropFirst().prefix(3).trimmingCharacters(in: .whitespaces)) ?? 0
        #expect((19...21).contains(hours), "\(lines[pause + 1])")
        #expect(result.stdout.contains("Summary: succeeded"))
    }

    @Test func badWindowsAreErrorsAtTheirPlace() async throws {
        let window = """
              - days: []
                start: "25:00"
                duration: 3h
                time_zone: Mars/Olympus
            """
        let playbook = try Self.playbook(window: window)
        let result = try await CLI.run(["validate", playbook])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(playbook):6:11: error: name at least one day"))
        #expect(result.stderr.contains("\(playbook):7:12: error: '25:00' is not a time of day"))
        #expect(result.stderr.contains("\(playbook):8:15: error: a maintenance window lasts at least 4h"))
        #expect(result.stderr.contains("\(playbook):9:16: error: unknown time zone 'Mars/Olympus'"))
    }
}
