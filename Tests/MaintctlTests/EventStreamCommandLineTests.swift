import Foundation
import Testing

/// `run --events`: one JSON object a line, checked line by line against the run's summary.
@Suite struct EventStreamCommandLineTests {
    @Test func everyActionFinishesOnceAndTheFailoversMatchTheSummary() async throws {
        let directory = try CLI.temporaryDirectory()
        let path = directory + "/events.jsonl"
        let result = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--events", path,
                                        "--inject", "kill pay-weu-1-n2 after migrate_shards#2"])
        #expect(result.status == 3, "\(result.stderr)")
        let events = try Self.events(in: String(contentsOfFile: path, encoding: .utf8))
        #expect(events.map { $0["seq"] as? Int } == Array(1...events.count))
        #expect(events.allSatisfy { $0["version"] as? Int == 1 })
        #expect(events.allSatisfy { ($0["time"] as? String).flatMap { try? Date($0, strategy: .iso8601) } != nil })
        #expect(events.first?["type"] as? String == "rollout_started")
        #expect((events.first?["plan_digest"] as? String)?.count == 16)
        let last = try #require(events.last)
        #expect(last["type"] as? String == "rollout_finished")
        let summary = try #require(last["summary"] as? [String: Any])

        // Every action that started finished or failed, each finished action exactly once.
        func key(_ event: [String: Any]) -> String { "\(event["cache"] ?? "")#\(event["action"] ?? "")" }
        let started = events.filter { $0["type"] as? String == "action_started" }
        let finished = events.filter { $0["type"] as? String == "action_finished" }
        let failed = events.filter { $0["type"] as? String == "action_failed" }
        #expect(Set(finished.map(key)).count == finished.count)
        #expect(started.count == finished.count + failed.count)
        let caches = try #require(summary["caches"] as? [[String: Any]])
        #expect(finished.count == caches.map { $0["actions_completed"] as? Int ?? -1 }.reduce(0, +))
        for event in finished {
            #expect(event["step"] is String && event["location"] is String && (event["duration_ms"] as? Int ?? -1) >= 0)
        }

        // The failovers the actions and the failure detector reported are the summary's.
        let planned = finished.flatMap { $0["failovers"] as? [[String: Any]] ?? [] }
        let unplanned = events.filter { $0["type"] as? String == "node_down" }.flatMap { $0["failovers"] as? [[String: Any]] ?? [] }
        let failovers = try #require(summary["failovers"] as? [[String: Any]])
        #expect(planned.count + unplanned.count == failovers.count)
        #expect(planned.allSatisfy { $0["kind"] as? String == "planned" } && unplanned.allSatisfy { $0["kind"] as? String == "unplanned" })
        // …and each again as a `failover` line, right after the event that carries it.
        let lines = events.filter { $0["type"] as? String == "failover" }
        #expect(lines.count == failovers.count)
        #expect(lines.filter { $0["kind"] as? String == "unplanned" }.allSatisfy { $0["action"] is NSNull && $0["from"] as? String == "pay-weu-1-n2" })
        for (index, event) in events.enumerated() where event["type"] as? String == "failover" {
            let carrier = events[..<index].last { $0["type"] as? String != "failover" }
            #expect(["action_finished", "node_down"].contains(carrier?["type"] as? String), "\(event)")
        }
        #expect(events.contains { $0["type"] as? String == "node_down" && $0["node"] as? String == "pay-weu-1-n2" })
        #expect(events.contains { $0["type"] as? String == "fault_injected" })

        // Each cache started once and finished once, after its actions, on the rollout's clock.
        let cacheNames = caches.compactMap { $0["id"] as? String }
        for cache in cacheNames {
            let own = events.filter { $0["cache"] as? String == cache }
            #expect(own.first?["type"] as? String == "cache_started")
            #expect(own.last?["type"] as? String == "cache_finished")
            let elapsed = own.compactMap { $0["elapsed_ms"] as? Int }
            #expect(elapsed == elapsed.sorted())
        }
        // The text lines went to standard output as before.
        #expect(result.stdout.contains("Summary: paused on simulated"))
    }

    @Test func eventsToStandardOutputLeaveItJSONAlone() async throws {
        let result = try await CLI.run(["run", "Playbooks/rolling-restart.yaml", "--events", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try Self.events(in: result.stdout)
        #expect(events.count > 10 && events.last?["type"] as? String == "rollout_finished")
        #expect(result.stderr.contains("Summary: succeeded on simulated"))
    }

    @Test func anUnwritableEventFileIsRefusedBeforeAnythingRuns() async throws {
        let home = try CLI.temporaryDirectory()
        let precious = try CLI.temporaryFile("name: keep me\n")
        for path in ["/nonexistent-directory/events.jsonl", home, precious] {
            let result = try await CLI.run(["run", "Playbooks/rolling-restart.yaml", "--events", path], home: home)
            #expect(result.status != 0)
            #expect(result.stderr.contains("--events"), "\(result.stderr)")
            #expect(!result.stdout.contains("Summary"))
            #expect(!FileManager.default.fileExists(atPath: home + "/journals"))
        }
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "name: keep me\n")
    }

    /// The lines of `text`, each parsed as one JSON object.
    static func events(in text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
    }
}
