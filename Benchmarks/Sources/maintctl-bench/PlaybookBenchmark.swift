import MaintenanceKit

/// Times `PlaybookLoader.load` alone on a generated playbook with many steps, against the
/// demo fleet inventory (loaded once beforehand, outside the timing).
struct PlaybookBenchmark {
    /// How many step entries the playbook has.
    var steps: Int
    /// The plugins steps resolve to.
    var registry: PluginRegistry
    /// The inventory the playbook is checked against.
    var inventory: Inventory
    /// How many times the load is measured.
    var repetitions: Int

    /// What the measurement found.
    struct Result {
        var steps: Int
        /// Step invocations the loader resolved (the block's steps count one each).
        var invocations: Int
        var playbookBytes: Int
        var validate = Timing()
    }

    /// Measures `repetitions` loads.
    /// - Throws: `BenchmarkFailure` when the generated playbook is rejected.
    func measure() throws -> Result {
        let text = PlaybookGenerator.yaml(totalSteps: steps)
        let source = SourceFile(path: "<generated \(steps)-step playbook>", text: text)
        let loader = PlaybookLoader(registry: registry)
        var result = Result(steps: steps, invocations: 0, playbookBytes: text.utf8.count)
        for _ in 0..<repetitions {
            do {
                let (loaded, took) = try timed { () throws(DiagnosticsError) -> LoadedPlaybook in
                    try loader.load(source, inventory: inventory)
                }
                result.invocations = loaded.playbook.invocations.count
                result.validate.record(took)
            } catch {
                throw BenchmarkFailure("validate of the \(steps)-step playbook failed:\n\(FleetBenchmark.firstLines(of: error))")
            }
        }
        return result
    }
}
