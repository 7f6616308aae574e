import Foundation
import Testing

/// `--events` on every kind of session: a resume, a rollback, a run that waits for its window,
/// and a run that fails; and the report of the failed run.
extension EventStreamCommandLineTests {
    @Test func resumeAndRollbackStreamTheirEventsToo() async throws {
        let home = try CLI.temporaryDirectory("events")
        let paused = home + "/paused.sqlite"
        let run = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--journal", paused,
                                     "--inject", "kill pay-weu-1-n2 after migrate_shards#2"], home: home, background: true)
        #expect(run.status == 3, "\(run.stderr)")
        let resume = try await CLI.run(["resume", paused, "--events", home + "/resume.jsonl"], home: home, background: true)
        #expect(resume.status == 0, "\(resume.stderr)")
        let resumed = try Self.session(home + "/resume.jsonl")
        #expect((resumed.last?["summary"] as? [String: Any])?["status"] as? String == "succeeded")
        // Only what was left ran: pay-weu-1's drain of pay-weu-1-n2 onwards.
        let ran = resumed.filter { $0["type"] as? String == "action_finished" }
        #expect(!ran.isEmpty && ran.allSatisfy { $0["cache"] as? String == "pay-weu-1" }, "\(ran.map { $0["action"] ?? "" })")
        #expect(ran.contains { $0["step"] as? String == "delete_vms" })

        let crashed = home + "/crashed.sqlite"
        #expect(try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--journal", crashed, "--crash-after-journal-writes", "40"],
                                  home: home, background: true).status == 86)
        let rollback = try await CLI.run(["rollback", crashed, "--events", home + "/rollback.jsonl"], home: home, background: true)
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let undone = try Self.session(home + "/rollback.jsonl")
        #expect((undone.last?["summary"] as? [String: Any])?["status"] as? String == "succeeded")
        #expect(undone.contains { $0["type"] as? String == "action_finished" })
    }

    @Test func aWaitForTheWindowIsAPausedAndAResumedEvent() async throws {
        // The window closes 3 to 4 minutes from now, before the rollout's 5 simulated minutes end.
        let playbook = try WindowCommandLineTests.playbook(window: WindowCommandLineTests.daily(opensIn: -(4 * 3600 - 4 * 60)))
        let directory = try CLI.temporaryDirectory("events")
        let path = directory + "/events.jsonl", journal = directory + "/run.sqlite"
        let result = try await CLI.run(["run", playbook, "--events", path, "--journal", journal])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try Self.session(path)
        let pause = try #require(events.firstIndex { $0["type"] as? String == "paused" })
        #expect(events[pause]["cache"] as? String == "pay-weu-2")
        #expect((events[pause]["reason"] as? String)?.contains("needs about") == true)
        let until = try #require((events[pause]["until"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
        let resume = try #require(events.firstIndex { $0["type"] as? String == "resumed" })
        #expect(resume > pause && events[resume]["cache"] as? String == "pay-weu-2")
        // It resumed when the window opened, on the rollout's clock.
        let waited = (events[resume]["elapsed_ms"] as? Int ?? 0) - (events[pause]["elapsed_ms"] as? Int ?? 0)
        #expect(waited > 19 * 3_600_000, "waited \(waited) ms for a window opening at \(until)")
        #expect(events[resume + 1]["type"] as? String == "action_started" && events[resume + 1]["step"] as? String == "drain_node")

        // The report shades the wait across the timeline and says where each step was written.
        try await ReportCommandLineTests.open(journal, in: directory, name: "windowed")
        let page = try String(contentsOfFile: directory + "/windowed.html", encoding: .utf8)
        #expect(page.components(separatedBy: "<rect class=\"wait\"").count == 2, "one wait shaded")
        #expect(page.contains("<code>\(playbook):16:"), "the drain's place in the playbook")
    }

    @Test func aFailedRunStreamsItsFailedAttemptsAndItsReportOpens() async throws {
        let home = try CLI.temporaryDirectory("failed")
        // The node the copies move to is paused once the first old node is drained: it is
        // declared failed, and the move to it fails, tried again, and fails again.
        let playbook = try WindowCommandLineTests.playbook(window: nil, retries: 1)
        let journal = home + "/run.sqlite", path = home + "/events.jsonl"
        let result = try await CLI.run(["run", playbook, "--journal", journal, "--events", path,
                                        "--inject", "pause pay-weu-2-n1-7.2.5 60s after drain_node#1"], home: home)
        #expect(result.status == 1, "\(result.stderr)\(result.stdout)")
        let events = try Self.session(path)
        #expect((events.last?["summary"] as? [String: Any])?["status"] as? String == "failed")
        let failed = events.filter { $0["type"] as? String == "action_failed" }
        #expect(failed.map { $0["attempt"] as? Int } == [1, 2], "\(failed)")
        #expect(failed.map { $0["will_retry"] as? Bool } == [true, false])
        #expect(failed.allSatisfy { $0["step"] as? String == "migrate_shards" && ($0["error"] as? String)?.isEmpty == false })
        #expect(!events.contains { $0["type"] as? String == "action_finished" && $0["step"] as? String == "migrate_shards" })

        let report = try await ReportCommandLineTests.json(journal)
        #expect(report["status"] as? String == "failed")
        try await ReportCommandLineTests.open(journal, in: home, name: "failed")
    }

    /// The events of one session in `path`: numbered from 1, from its start to its finish.
    static func session(_ path: String) throws -> [[String: Any]] {
        let events = try Self.events(in: String(contentsOfFile: path, encoding: .utf8))
        #expect(events.map { $0["seq"] as? Int } == Array(1...max(events.count, 1)))
        #expect(events.first?["type"] as? String == "rollout_started")
        #expect(events.last?["type"] as? String == "rollout_finished")
        let started = events.filter { $0["type"] as? String == "action_started" }.count
        let ended = events.filter { ["action_finished", "action_failed"].contains($0["type"] as? String) }.count
        #expect(started == ended, "every action that started ended")
        return events
    }
}
