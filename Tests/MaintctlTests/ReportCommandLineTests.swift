import Foundation
import Testing

/// `maintctl report`: the page opened in headless Chromium (Debian's chromium), its data as JSON.
@Suite struct ReportCommandLineTests {
    /// A paused run (a node killed mid-patch), the same run resumed to its end, and the
    /// rollback of a run that crashed halfway: each gives a whole report.
    @Test func theReportOfAPausedResumedAndRolledBackRunOpensInChromium() async throws {
        let directory = try CLI.temporaryDirectory("report")
        let journal = directory + "/run.sqlite"
        let run = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--journal", journal,
                                     "--inject", "kill pay-weu-1-n2 after migrate_shards#2"], background: true)
        #expect(run.status == 3, "\(run.stderr)")

        let paused = try await Self.json(journal)
        #expect(paused["status"] as? String == "paused")
        let caches = try #require(paused["caches"] as? [[String: Any]])
        let hit = try #require(caches.first { $0["id"] as? String == "pay-weu-1" })
        let marks = try #require(hit["marks"] as? [[String: Any]])
        #expect(marks.contains { $0["kind"] as? String == "fault_injected" && $0["node"] as? String == "pay-weu-1-n2" })
        #expect(marks.contains { $0["kind"] as? String == "node_down" && $0["node"] as? String == "pay-weu-1-n2" })
        #expect((hit["lanes"] as? [String])?.contains("pay-weu-1-n2") == true)
        let failovers = try #require(paused["failovers"] as? [[String: Any]])
        #expect(failovers.contains { $0["kind"] as? String == "unplanned" })
        try await Self.open(journal, in: directory, name: "paused")

        #expect(try await CLI.run(["resume", journal], background: true).status == 0)
        let resumed = try await Self.json(journal)
        #expect(resumed["status"] as? String == "succeeded")
        let kinds = try #require(resumed["action_kinds"] as? [[String: Any]])
        #expect(Set(kinds.compactMap { $0["step"] as? String }) == ["create_vms", "elect_leader", "drain_node", "migrate_shards", "remove_node", "delete_vms"])
        #expect(kinds.allSatisfy { ($0["actual_ms"] as? Int ?? 0) > 0 && ($0["predicted_ms"] as? Int ?? 0) > 0 })
        let invariants = try #require(resumed["invariants"] as? [[String: Any]])
        #expect(invariants.count == 8 && invariants.allSatisfy { ($0["violations"] as? [Any])?.isEmpty == true })
        try await Self.open(journal, in: directory, name: "resumed")

        let crashed = directory + "/crashed.sqlite"
        #expect(try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--journal", crashed, "--crash-after-journal-writes", "40"],
                                  background: true).status == 86)
        let interrupted = try await Self.json(crashed)
        #expect(interrupted["status"] as? String == "running")
        #expect(interrupted["duration_ms"] == nil || interrupted["duration_ms"] is NSNull)
        #expect(try await CLI.run(["rollback", crashed], background: true).status == 0)
        let rollback = crashed.replacingOccurrences(of: ".sqlite", with: "-rollback.sqlite")
        #expect(try await Self.json(rollback)["kind"] as? String == "rollback")
        try await Self.open(rollback, in: directory, name: "rollback")
    }

    @Test func aJournalThatIsNotOneIsOneClearError() async throws {
        let path = try CLI.temporaryFile("not a journal", name: "run.sqlite")
        let result = try await CLI.run(["report", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("maintctl: error:") && !result.stderr.contains("Fatal"))
    }

    /// `report --format json` of `journal`, parsed.
    static func json(_ journal: String) async throws -> [String: Any] {
        let result = try await CLI.run(["report", journal, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// Writes the page of `journal`, loads it in headless Chromium and checks what the browser
    /// built: no console error, one bar per action that ran, a screenshot that is not blank.
    static func open(_ journal: String, in directory: String, name: String) async throws {
        let page = directory + "/\(name).html"
        let written = try await CLI.run(["report", journal, "-o", page])
        #expect(written.status == 0, "\(written.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<script"))
        #expect(!html.contains("src=") && !html.contains("@import") && !html.contains("url("), "the page loads nothing")

        let data = try await Self.json(journal)
        let ran = (data["caches"] as? [[String: Any]] ?? []).flatMap { $0["actions"] as? [[String: Any]] ?? [] }
            .filter { $0["start_ms"] is Int }.count
        #expect(ran > 0)

        let chromium = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                        "--user-data-dir=\(directory)/chromium-\(name)", "--enable-logging=stderr", "--v=0"]
        let dom = try await CLI.run(program: try Self.chromium, chromium + ["--dump-dom", "file://\(page)"])
        #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
        let bars = dom.stdout.components(separatedBy: "<rect class=\"action ").count - 1
        #expect(bars == ran, "the browser's DOM has \(bars) action bars, the journal \(ran) actions that ran")
        #expect(dom.stdout.contains("<svg class=\"timeline\""))
        let consoleErrors = dom.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")

        let screenshot = directory + "/\(name).png"
        let shot = try await CLI.run(program: try Self.chromium, chromium + ["--window-size=1280,2400", "--screenshot=\(screenshot)", "file://\(page)"])
        #expect(shot.status == 0, "\(shot.stderr.suffix(2000))")
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        #expect(size > 30_000, "a screenshot of \(size) bytes is blank")
    }

    static var chromium: String {
        get throws {
            for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where FileManager.default.isExecutableFile(atPath: path) { return path }
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no chromium: run scripts/test, which installs it"])
        }
    }
}
