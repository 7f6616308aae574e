import Foundation
import MaintenanceKit

extension JournalSnapshot {
    /// The run as `maintctl report` shows it, from what the journal holds: the plan, every
    /// attempt, each cache's outcome and, once the run ended, its summary. A run that failed,
    /// paused, was rolled back or died still gives a whole report of what it did.
    public var report: RolloutReport {
        let summary = summaryJSON.flatMap { try? JSONDecoder().decode(SummaryFields.self, from: Data($0.utf8)) }
        let lastAttempts = Dictionary(attempts.map { ("\($0.cache)#\($0.actionIndex)", $0) }, uniquingKeysWith: { $0.attempt >= $1.attempt ? $0 : $1 })
        let outcomes = Dictionary(caches.compactMap { record in record.outcome.map { (record.cache, $0) } }, uniquingKeysWith: { first, _ in first })
        // Each session's rollout clock starts at zero: a resumed run's sessions are laid end to end.
        var offsets: [Int64: Int64] = [:]
        var elapsed: Int64 = 0
        for session in Set(attempts.map(\.session)).sorted() {
            offsets[session] = elapsed
            elapsed += attempts.filter { $0.session == session }.compactMap { $0.result?.timing.map { $0.startedMS + $0.durationMS } }.max() ?? 0
        }
        let caches = plan.caches.map { cachePlan in
            let actions = cachePlan.actions.map { planned in
                let last = lastAttempts["\(planned.cache)#\(planned.index)"]
                let result = last?.result
                let state = switch last?.state {
                case "succeeded": "succeeded"
                case "failed": "failed"
                case "intent": "interrupted"
                default: "not run"
                }
                return RolloutReport.Action(
                    index: planned.index, step: planned.plugin, summary: planned.summary, location: planned.stepLocation.description,
                    lane: planned.subject.node ?? "cache", state: state, attempts: last?.attempt ?? 0,
                    startMS: result?.timing.map { $0.startedMS + (offsets[last?.session ?? 0] ?? 0) }, durationMS: result?.timing?.durationMS,
                    predictedMS: planned.predictedDuration.milliseconds,
                    failovers: (result?.failovers ?? []).map(FailoverSummary.init), syncs: (result?.syncs ?? []).map(RolloutReport.Sync.init),
                    error: result?.error)
            }
            // The outcome and its marks are those of the session that ran the cache last.
            let offset = offsets[attempts.last { $0.cache == cachePlan.cache }?.session ?? 0] ?? 0
            let outcome = outcomes[cachePlan.cache].map { outcome in
                var shifted = outcome
                shifted.marks = outcome.marks?.map { mark in
                    var moved = mark
                    moved.atMS += offset
                    return moved
                }
                return shifted
            }
            var lanes = ["cache"]
            for lane in actions.map(\.lane) + (outcome?.marks ?? []).compactMap(\.node) where !lanes.contains(lane) { lanes.append(lane) }
            return RolloutReport.Cache(
                id: cachePlan.cache, placement: cachePlan.placement.description, status: outcome?.status.rawValue ?? "not finished",
                startedMS: actions.compactMap(\.startMS).min() ?? outcome.map { $0.started.milliseconds + offset },
                finishedMS: outcome.map { $0.finished.milliseconds + offset }
                    ?? actions.compactMap { action in action.startMS.map { $0 + (action.durationMS ?? 0) } }.max(),
                lanes: lanes, actions: actions, marks: outcome?.marks ?? [], error: outcome?.error)
        }
        let finished: [RolloutReport.Action] = caches.flatMap { $0.actions }.filter { $0.state == "succeeded" }
        let byStep: [String: [RolloutReport.Action]] = Dictionary(grouping: finished) { $0.step }
        var kinds: [RolloutReport.ActionKind] = []
        for (step, actions) in byStep {
            let predicted = actions.reduce(Int64(0)) { $0 + $1.predictedMS }
            let actual = actions.reduce(Int64(0)) { $0 + ($1.durationMS ?? 0) }
            kinds.append(RolloutReport.ActionKind(step: step, count: actions.count, predictedMS: predicted, actualMS: actual))
        }
        kinds.sort { $0.step < $1.step }
        // An action's failovers include the unplanned ones its end brought.
        let failovers = summary?.failovers ?? caches.flatMap { $0.actions.flatMap(\.failovers) }
        let violations = summary?.invariantViolations ?? outcomes.values.flatMap(\.violations)
        let stamp = { (date: Date) in date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt)) }
        let ended = sessions.compactMap { session in session.ended.map { $0.timeIntervalSince(session.started) } }
        return RolloutReport(
            runID: record.id, kind: record.kind.rawValue, playbook: plan.playbook, backend: record.backend, status: status.rawValue,
            created: stamp(created), updated: stamp(updated),
            durationMS: summary?.durationMS ?? (!sessions.isEmpty && ended.count == sessions.count ? Int64(ended.reduce(0, +) * 1000) : nil),
            predictedDurationMS: plan.predictedDuration.milliseconds, expectedFailovers: plan.expectedFailovers.count,
            nodesReplaced: summary?.nodesReplaced ?? outcomes.values.map(\.replacements.count).reduce(0, +),
            acknowledgedWritesLost: summary?.acknowledgedWritesLost, caches: caches, failovers: failovers, actionKinds: kinds,
            clientImpact: summary?.clientImpact,
            invariants: Invariants.names.sorted { $0.key < $1.key }.map { number, name in
                RolloutReport.Invariant(number: number, name: name, violations: violations.filter { $0.invariant == number }.map(\.description))
            },
            sessions: sessions.map { RolloutReport.Session(kind: $0.kind, started: stamp($0.started), ended: $0.ended.map(stamp), status: $0.status) })
    }
}

/// The parts of a journaled summary the report shows.
private struct SummaryFields: Decodable {
    var durationMS: Int64
    var nodesReplaced: Int
    var acknowledgedWritesLost: Int?
    var failovers: [FailoverSummary]
    var invariantViolations: [InvariantViolation]
    var clientImpact: ClientImpact?

    enum CodingKeys: String, CodingKey {
        case failovers
        case durationMS = "duration_ms", nodesReplaced = "nodes_replaced", acknowledgedWritesLost = "acknowledged_writes_lost"
        case invariantViolations = "invariant_violations", clientImpact = "client_impact"
    }
}
