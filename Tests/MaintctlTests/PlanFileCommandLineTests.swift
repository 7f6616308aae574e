import Foundation
import Testing

/// `maintctl plan -o FILE` then `maintctl run --plan FILE`: the reviewed plan is what runs.
@Suite struct PlanFileCommandLineTests {
    /// A plan of rolling-patch.yaml written to a new file.
    func writtenPlan(_ extra: [String] = []) async throws -> String {
        let path = try CLI.temporaryDirectory("plan") + "/plan.json"
        let result = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml", "-o", path] + extra, background: true)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("plan written to \(path)"))
        return path
    }

    /// The summary object of a JSON run, without what differs between two runs (the time it took to compute).
    func summary(_ stdout: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    }

    @Test func aPlanFileRunsToTheSameSummaryAsItsPlaybook() async throws {
        let path = try await writtenPlan()
        let fromPlaybook = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--seed", "7", "--format", "json"], background: true)
        let fromPlan = try await CLI.run(["run", "--plan", path, "--seed", "7", "--format", "json"], background: true)
        #expect(fromPlaybook.status == 0 && fromPlan.status == 0, "\(fromPlan.stderr)")
        let expected = try summary(fromPlaybook.stdout), actual = try summary(fromPlan.stdout)
        #expect(NSDictionary(dictionary: expected).isEqual(to: actual), "same summary from the plan file as from the playbook")
        #expect((actual["status"] as? String) == "succeeded")
    }

    @Test func planJSONIsThePlanFile() async throws {
        let path = try await writtenPlan()
        let printed = try await CLI.run(["plan", "Playbooks/rolling-patch.yaml", "--format", "json"], background: true)
        let file = try String(contentsOfFile: path, encoding: .utf8)
        let fromFile = try #require(JSONSerialization.jsonObject(with: Data(file.utf8)) as? [String: Any])
        let fromStdout = try #require(JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any])
        #expect(NSDictionary(dictionary: fromFile).isEqual(to: fromStdout))
        #expect((fromFile["expected_failovers"] as? [Any])?.count == 33)
        #expect((fromFile["steps"] as? [[String: Any]])?.map { $0["step"] as? String } ==
                ["create_vms", "elect_leader", "drain_node", "migrate_shards", "remove_node", "delete_vms"])
        #expect(fromFile["maintctl_version"] is String && fromFile["planned_against"] is [String: Any])
    }

    /// Edits the plan file's JSON with `edit` and writes it back.
    func edited(_ path: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        var plan = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&plan)
        let out = path.replacingOccurrences(of: "plan.json", with: "edited-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: plan, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: out))
        return out
    }

    /// The line of the first line of `path` that contains `text` (1-based).
    func line(of text: String, in path: String) throws -> Int {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }

    @Test func anEditedPlanIsRefusedAtItsPlaceAndNothingRuns() async throws {
        let path = try await writtenPlan()
        func steps(_ plan: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
            var steps = plan["steps"] as? [[String: Any]] ?? []
            change(&steps[3])
            plan["steps"] = steps
        }
        let unknownStep = try edited(path) { plan in steps(&plan) { $0["step"] = "migrate_shard" } }
        let badParameter = try edited(path) { plan in steps(&plan) { $0["with"] = ["strategy": "fastest"] } }
        let missingNode = try edited(path) { plan in
            var caches = plan["caches"] as? [[String: Any]] ?? []
            var actions = caches[0]["actions"] as? [[String: Any]] ?? []
            actions[2]["node"] = nil
            caches[0]["actions"] = actions
            plan["caches"] = caches
        }
        let missingSummary = try edited(path) { plan in
            var caches = plan["caches"] as? [[String: Any]] ?? []
            var actions = caches[0]["actions"] as? [[String: Any]] ?? []
            actions[1]["summary"] = nil
            caches[0]["actions"] = actions
            plan["caches"] = caches
        }
        let otherVersion = try edited(path) { $0["maintctl_version"] = "0.0.1" }
        let unknownCache = try edited(path) { plan in
            var caches = plan["caches"] as? [[String: Any]] ?? []
            caches[0]["id"] = "pay-nowhere-1"
            caches[0]["actions"] = (caches[0]["actions"] as? [[String: Any]] ?? []).map { action in
                var action = action
                action["cache"] = "pay-nowhere-1"
                return action
            }
            plan["caches"] = caches
        }
        let cases: [(String, String, String)] = [
            (unknownStep, "\"migrate_shard\"", "unknown step kind 'migrate_shard'; did you mean 'migrate_shards'?"),
            (badParameter, "\"fastest\"", "'fastest' is not one of make_before_break, break_before_make"),
            (missingNode, "\"summary\" : \"drain ", "must name its node"),
            (missingSummary, "\"index\" : 1,", "missing field 'summary'"),
            (otherVersion, "\"maintctl_version\"", "the plan was made by maintctl 0.0.1"),
            (unknownCache, "\"id\" : \"pay-nowhere-1\"", "cache 'pay-nowhere-1' is not in the fleet the plan was made against"),
        ]
        for (file, marker, message) in cases {
            let journal = try CLI.temporaryDirectory("refused") + "/run.sqlite"
            let result = try await CLI.run(["run", "--plan", file, "--journal", journal], background: true)
            #expect(result.status == 2, "\(message): \(result.stderr)")
            #expect(result.stderr.contains(": error: ") && result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stderr.hasPrefix("\(file):"), "located in the plan file: \(result.stderr)")
            if marker != "\"summary\" : \"drain ", marker != "\"index\" : 1," {
                #expect(result.stderr.hasPrefix("\(file):\(try line(of: marker, in: file)):"), "at the edited line: \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: journal), "nothing ran")
            #expect(result.stdout.isEmpty && !result.stderr.contains("Fatal error"))
        }
    }

    @Test func aPlanFileThatIsNotAPlanIsRefused() async throws {
        let directory = try CLI.temporaryDirectory("notaplan")
        let cases = [(try CLI.temporaryFile("{\"format\": 1,", name: "cut.json"), "error:"),
                     (try CLI.temporaryFile("[1, 2, 3]\n", name: "list.json"), "error:"),
                     (directory + "/missing.json", "no such file")]
        for (file, message) in cases {
            let result = try await CLI.run(["run", "--plan", file], background: true)
            #expect(result.status == 2 && result.stderr.contains(message), "\(file): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
        let both = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--plan", directory + "/x.json"])
        #expect(both.status != 0 && both.stderr.contains("not both"))
        // A typo that names the playbook as the output must not overwrite it.
        let playbook = try CLI.temporaryFile(try String(contentsOfFile: CLI.packageRoot + "/Playbooks/rolling-patch.yaml", encoding: .utf8)
            .replacingOccurrences(of: "inventory: inventories/", with: "inventory: \(CLI.packageRoot)/Playbooks/inventories/"))
        let before = try String(contentsOfFile: playbook, encoding: .utf8)
        let over = try await CLI.run(["plan", playbook, "-o", playbook])
        #expect(over.status != 0 && over.stderr.contains("would overwrite the input"), "\(over.stderr)")
        #expect(try String(contentsOfFile: playbook, encoding: .utf8) == before)
    }
}

/// A dry run is what a run does, under every policy.
@Suite struct DryRunCommandLineTests {
    /// Each cache's id and status in a JSON summary.
    func statuses(_ stdout: String) throws -> [String: String] {
        let summary = try #require(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let caches = try #require(summary["caches"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: caches.compactMap { cache in
            (cache["id"] as? String).flatMap { id in (cache["status"] as? String).map { (id, $0) } }
        })
    }

    @Test func underStopAllADryRunStopsTheSameRunningCachesAsARun() async throws {
        let text = try String(contentsOfFile: CLI.packageRoot + "/Playbooks/rolling-patch.yaml", encoding: .utf8)
            .replacingOccurrences(of: "inventory: inventories/", with: "inventory: \(CLI.packageRoot)/Playbooks/inventories/")
            .replacingOccurrences(of: "  on_failure: stop_all", with: "  on_unplanned_failure: abort\n  on_failure: stop_all")
        let playbook = try CLI.temporaryFile(text, name: "abort.yaml")
        let fault = ["--inject", "kill pay-weu-1-n2 after migrate_shards#2", "--format", "json"]
        let dry = try await CLI.run(["run", playbook, "--dry-run"] + fault, background: true)
        let journal = try CLI.temporaryDirectory("stopall") + "/run.sqlite"
        let real = try await CLI.run(["run", playbook, "--journal", journal] + fault, background: true)
        #expect(dry.status == 1 && real.status == 1, "\(dry.stderr)\n\(real.stderr)")
        let dryStatuses = try statuses(dry.stdout), realStatuses = try statuses(real.stdout)
        #expect(dryStatuses == realStatuses)
        #expect(dryStatuses["pay-weu-1"] == "failed")
        // Caches running when pay-weu-1 failed stop at their next safe point; those not yet started are skipped.
        #expect(dryStatuses.values.filter { $0 == "stopped" }.count >= 2, "\(dryStatuses)")
        #expect(dryStatuses["pay-weu-2"] == "skipped")
        #expect(dry.stdout == real.stdout, "the same summary, to the millisecond")
    }
}
