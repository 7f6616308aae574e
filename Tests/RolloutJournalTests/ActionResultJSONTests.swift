import Foundation
import MaintenanceKit
import Testing
@testable import RolloutJournal

/// The journal's own writer of an action's result gives what `JSONDecoder` reads back as the same result.
@Suite struct ActionResultJSONTests {
    static let results: [ActionResult] = [
        ActionResult(succeeded: true),
        ActionResult(succeeded: false, error: "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00} é 🚀 \u{2028}",
                     notes: ["already moved", "", "{\"json\": [1]}"],
                     failovers: [
                        FailoverReport(cache: "pay-weu-1", shard: "s1", kind: .planned, from: "n1", to: "n2", unavailable: .milliseconds(45)),
                        FailoverReport(cache: "c", shard: "s2", kind: .unplanned, from: "a", to: "b", unavailable: .nanoseconds(1_234_567_891),
                                       detection: .seconds(-3), promotion: .seconds(Int64.max / 2)),
                     ],
                     syncs: [
                        SyncReport(shard: "s1", node: "n2", megabytes: 1024, duration: .seconds(6.62)),
                        SyncReport(shard: "s2", node: "n3", megabytes: 0.1, duration: .zero),
                        SyncReport(shard: "s3", node: "n4", megabytes: 1e-7, duration: .microseconds(3)),
                        SyncReport(shard: "s4", node: "n5", megabytes: 123_456_789.125, duration: .milliseconds(1)),
                     ],
                     timing: ActionTiming(started: .seconds(196.7), took: .milliseconds(2300))),
    ]

    @Test(arguments: results)
    func readsBackAsTheSameResult(result: ActionResult) throws {
        let text = ActionResultJSON.text(result)
        #expect(try JSONDecoder().decode(ActionResult.self, from: Data(text.utf8)) == result, "\(text)")
        // The same document Foundation's encoder makes, key for key.
        let ours = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
        let foundation = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? NSDictionary
        #expect(ours == foundation)
    }
}
