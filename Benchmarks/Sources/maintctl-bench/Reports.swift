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
