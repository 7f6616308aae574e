/// The `--shapes` table: per cluster shape, the rollout's wall time against its syncs and
/// write pauses, and what orchestration adds to each copy move.
struct ShapeReport {
    private(set) var table = ResultTable(header: [
        "shape", "servers", "rounds ok", "moves", "wall ms", "syncs + gaps ms", "overhead %",
        "per-copy overhead p50 ms", "p99 ms", "replica move p50 ms", "primary move p50 ms",
        "probe gap p50 ms", "p99 ms", "acked lost",
    ])
    /// Per-copy overhead p50 of each shape, in ms, to compare the widest with the narrowest.
    private(set) var overheadP50: [(ClusterShape, Double)] = []

    /// Adds the row of one shape.
    mutating func add(_ result: ProcessBenchmark.Result, shape: ClusterShape) {
        let rounds = result.rounds
        let moves = rounds.flatMap(\.moves)
        let ms = { (values: [Duration], percent: Double) -> Double? in
            Stats.percentile(values.map { Int64($0.microseconds) }, percent).map { Double($0) / 1000 }
        }
        let cell = { (value: Double?) in value.map { Format.fixed($0, decimals: 1) } ?? "-" }
        let median = { (value: (RollingPatchRound.Result) -> Double) in Stats.median(rounds.map(value)) }
        let probeGaps = rounds.flatMap(\.probeGaps)
        let overheads = moves.map(\.overhead)
        if let p50 = ms(overheads, 50) { overheadP50.append((shape, p50)) }
        table.add([
            shape.description, "\(shape.servers)", "\(rounds.filter { $0.summary.status == .succeeded }.count)/\(rounds.count)",
            "\(moves.count)", cell(median { Double($0.summary.durationMS) }), cell(median { Double($0.unavoidableMS) }),
            cell(median(\.overheadPercent)), cell(ms(overheads, 50)), cell(ms(overheads, 99)),
            cell(ms(moves.filter { !$0.isPrimary }.map(\.took), 50)), cell(ms(moves.filter(\.isPrimary).map(\.took), 50)),
            Stats.percentile(probeGaps, 50).map(String.init) ?? "-", Stats.percentile(probeGaps, 99).map(String.init) ?? "-",
            Format.count(rounds.reduce(0) { $0 + ($1.impact?.acknowledgedWritesLost ?? 0) }),
        ])
    }
}
