/// The fleet benchmark's table: four rows (validate, plan, run, total) per fleet size.
struct FleetReport {
    private(set) var table = ResultTable(header: [
        "nodes", "caches", "shard copies", "inventory KB", "actions", "failovers",
        "phase", "median ms", "min ms", "median us/node",
    ])

    /// Adds the rows of one fleet size.
    mutating func add(_ result: FleetBenchmark.Result) {
        let shape = result.shape
        let phases: [(String, Timing)] = [
            ("validate", result.validate), ("plan", result.plan), ("run", result.run), ("total", result.total),
        ]
        for (index, (phase, timing)) in phases.enumerated() {
            let size = index == 0
                ? [Format.count(shape.nodes), Format.count(shape.caches), Format.count(shape.shardCopies),
                   Format.count(result.inventoryBytes / 1024), Format.count(result.actions), Format.count(result.failovers)]
                : Array(repeating: "", count: 6)
            table.add(size + [phase, Format.ms(timing.median), Format.ms(timing.min),
                              Format.us(timing.median.microseconds / Double(shape.nodes))])
        }
    }
}

/// The long-playbook benchmark's table: one row.
struct PlaybookReport {
    private(set) var table = ResultTable(header: [
        "steps", "invocations", "playbook KB", "phase", "median ms", "min ms", "median us/step",
    ])

    init(_ result: PlaybookBenchmark.Result) {
        table.add([
            Format.count(result.steps), Format.count(result.invocations), Format.count(result.playbookBytes / 1024),
            "validate", Format.ms(result.validate.median), Format.ms(result.validate.min),
            Format.us(result.validate.median.microseconds / Double(result.steps)),
        ])
    }
}

/// The journal benchmark's table: the rollout without and with the journal, one action's
/// commits, and the resume after a crash halfway.
struct JournalReport {
    private(set) var table = ResultTable(header: ["nodes", "actions", "measurement", "median ms", "min ms", "median us/action"])

    init(_ result: JournalBenchmark.Result) {
        let actions = Double(result.actions)
        let overhead = (result.journaled.median - result.plain.median).microseconds / actions
        let rows: [(String, Timing, String)] = [
            ("run, no journal", result.plain, Format.us(result.plain.median.microseconds / actions)),
            ("run, journaled (as maintctl: simulated)", result.journaled, Format.us(result.journaled.median.microseconds / actions)),
            ("journal overhead per action", Timing(), Format.us(overhead)),
            ("run, journaled, every commit flushed", result.journaledDurable,
             Format.us(result.journaledDurable.median.microseconds / actions)),
            ("one action's 2 flushed commits", result.actionCommits, Format.us(result.actionCommits.median.microseconds)),
            ("resume: open + read journal", result.resumeRead, ""),
            ("resume: to the end (\(Format.count(result.resumedActions)) actions left)", result.resume, ""),
        ]
        for (index, (what, timing, perAction)) in rows.enumerated() {
            table.add([index == 0 ? Format.count(result.shape.nodes) : "", index == 0 ? Format.count(result.actions) : "", what,
                       timing.samples.isEmpty ? "" : Format.ms(timing.median), timing.samples.isEmpty ? "" : Format.ms(timing.min), perAction])
        }
    }
}
