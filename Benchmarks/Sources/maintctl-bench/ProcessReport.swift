/// The process benchmark's tables: client impact and time per key count, every round, and
/// where each round's wall time goes.
struct ProcessReport {
    private(set) var impact = ResultTable(header: [
        "keys, nodes", "load s", "keys/s", "rounds ok", "failovers", "probe gap p50 ms", "p99 ms", "max ms",
        "backend gap p50 ms", "max ms", "writes acked", "acked lost", "keys missing",
    ])
    private(set) var time = ResultTable(header: [
        "keys, nodes", "sync MB", "sync MB/s", "wall ms", "sync ms", "gaps ms", "unavoidable ms", "overhead %",
    ])
    private(set) var rounds = ResultTable(header: [
        "keys, nodes", "round", "status", "failovers", "wall ms", "run() ms", "sync ms", "sync MB", "MB/s",
        "backend gaps ms", "probe gaps ms", "re-point ms", "acked", "lost", "overhead %", "client errors and redirects",
    ])
    private(set) var breakdown = ResultTable(header: ["keys, nodes", "part of a round", "calls", "median ms", "% of wall"])

    /// Adds the rows of one key count, labelled by it and where the nodes live unless `label` is given.
    mutating func add(_ result: ProcessBenchmark.Result, label: String? = nil) {
        let keys = label ?? "\(Format.count(result.keys)) \(result.nodes)"
        let all = result.rounds
        let probeGaps = all.flatMap(\.probeGaps), backendGaps = all.flatMap(\.backendGaps)
        let ms = { (value: Int64?) in value.map { Format.count(Int($0)) } ?? "-" }
        let loadSeconds: Double? = result.load.map { $0.milliseconds / 1000 }
        impact.add([
            keys, loadSeconds.map { Format.fixed($0, decimals: 1) } ?? "-",
            loadSeconds.map { Format.count(Int(Double(result.keys) / max($0, 0.001))) } ?? "-",
            "\(all.filter { $0.summary.status == .succeeded }.count)/\(all.count)", Format.count(all.reduce(0) { $0 + $1.summary.failovers.count }),
            ms(Stats.percentile(probeGaps, 50)), ms(Stats.percentile(probeGaps, 99)), ms(probeGaps.max()),
            ms(Stats.percentile(backendGaps, 50)), ms(backendGaps.max()),
            Format.count(all.reduce(0) { $0 + ($1.impact?.writesAcknowledged ?? 0) }),
            Format.count(all.reduce(0) { $0 + ($1.impact?.acknowledgedWritesLost ?? 0) }),
            result.missingKeys.map(Format.count) ?? "-",
        ])
        let median = { (value: (RollingPatchRound.Result) -> Double, decimals: Int) in
            Stats.median(all.map(value)).map { Format.fixed($0, decimals: decimals) } ?? "-"
        }
        time.add([
            keys, median({ $0.summary.syncMB }, 1), median({ $0.syncMBPerSecond }, 1), median({ Double($0.summary.durationMS) }, 0),
            median({ Double($0.summary.syncMS) }, 0), median({ Double($0.backendGaps.reduce(0, +)) }, 0),
            median({ Double($0.unavoidableMS) }, 0), median({ $0.overheadPercent }, 1),
        ])
        for round in all {
            let summary = round.summary
            rounds.add([
                keys, round.version, summary.status.rawValue, "\(summary.failovers.count)/\(round.plannedFailovers)",
                Format.count(Int(summary.durationMS)), Format.fixed(round.runWall.milliseconds, decimals: 0),
                Format.count(Int(summary.syncMS)), Format.fixed(summary.syncMB, decimals: 1), Format.fixed(round.syncMBPerSecond, decimals: 1),
                round.backendGaps.map(String.init).joined(separator: "/"), round.probeGaps.map(String.init).joined(separator: "/"),
                Format.fixed(round.failoverRestMS, decimals: 0),
                Format.count(round.impact?.writesAcknowledged ?? 0), Format.count(round.impact?.acknowledgedWritesLost ?? 0),
                Format.fixed(round.overheadPercent, decimals: 1),
                (round.impact?.clientErrors ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
            ])
        }
        addBreakdown(of: all, keys: keys)
    }

    /// Median per round of each step's and each backend call's total, against the median wall time.
    private mutating func addBreakdown(of all: [RollingPatchRound.Result], keys: String) {
        guard let wall = Stats.median(all.map { Double($0.summary.durationMS) }), wall > 0 else { return }
        func row(_ label: String, calls: Double?, _ perRound: (RollingPatchRound.Result) -> Double) {
            let value = Stats.median(all.map(perRound)) ?? 0
            breakdown.add([keys, label, calls.map { Format.fixed($0, decimals: 0) } ?? "", Format.fixed(value, decimals: 0),
                           Format.fixed(value / wall * 100, decimals: 1)])
        }
        func total(_ name: String) -> (RollingPatchRound.Result) -> Double { { ($0.ledger[name]?.total ?? .zero).milliseconds } }
        func calls(_ name: String) -> Double? { Stats.median(all.map { Double($0.ledger[name]?.count ?? 0) }) }
        let names = Set(all.flatMap(\.ledger.keys))
        row("wall (summary.durationMS)", calls: nil) { Double($0.summary.durationMS) }
        for name in names.filter({ $0.hasPrefix("step ") }).sorted() { row(name, calls: calls(name), total(name)) }
        let detailed: [(String, String)] = [
            ("backend.addReplica", "start redis-server, CLUSTER MEET + wait, REPLICATE"),
            ("backend.waitForSync", "poll until the copy's offset reaches the primary's"),
            ("backend.failover", "pause, catch-up, TAKEOVER, wait for roles, re-point replicas"),
            ("backend.removeCopy", "topology check, stop the server, CLUSTER FORGET"),
            ("backend.topology", "INFO replication + CLUSTER NODES per copy"),
        ]
        for (name, what) in detailed { row("\(name): \(what)", calls: calls(name), total(name)) }
        row("  of waitForSync: full syncs (summary.syncMS)", calls: nil) { Double($0.summary.syncMS) }
        row("  of failover: writes paused (backend gap)", calls: nil) { Double($0.backendGaps.reduce(0, +)) }
        row("  of failover: the rest (checks before the pause, replicas re-pointed after it)", calls: nil) { $0.failoverRestMS }
        let others = names.filter { $0.hasPrefix("backend.") && !detailed.map(\.0).contains($0) }
        for name in others.sorted() { row(name, calls: calls(name), total(name)) }
        row("outside the backend (runtime, plugins)", calls: nil) { round in
            Double(round.summary.durationMS) - names.filter { $0.hasPrefix("backend.") }.reduce(0) { $0 + total($1)(round) }
        }
        for name in names.filter({ $0.hasPrefix("failed attempt") }).sorted() {
            breakdown.add([keys, name, Format.fixed(calls(name) ?? 0, decimals: 0), "", ""])
        }
    }
}
