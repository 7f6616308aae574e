import MaintenanceKit

/// A counterexample's trace as lines: the actions before the fault (the last few), the action
/// the fault hit with its backend operations, the fault and what the failure detector did,
/// and what followed.
enum TraceFormatter {
    /// Actions shown before the first fault.
    static let leadIn = 4

    static func lines(_ trace: [ScheduleRecorder.Entry], faults: [ScheduledFault]) -> [String] {
        let triggers = Set(faults.map(\.trigger))
        var actions: [[ScheduleRecorder.Entry]] = []
        for entry in trace {
            if case .action = entry { actions.append([entry]) } else if actions.isEmpty { actions.append([entry]) } else { actions[actions.count - 1].append(entry) }
        }
        let firstHit = actions.firstIndex { group in group.contains { if case .fault = $0 { true } else { false } } } ?? max(0, actions.count - 1)
        let from = max(0, firstHit - leadIn)
        var lines: [String] = []
        if from > 0 { lines.append("… \(from) earlier actions") }
        for group in actions[from...] {
            let hit = group.contains { if case .fault = $0 { true } else { false } }
            for entry in group {
                switch entry {
                case let .action(action):
                    lines.append("\(action.stepLocation): \(action.plugin) — \(action.summary)")
                case let .operation(position, name):
                    if hit { lines.append("    \(position.operation). \(name)" + (triggers.contains(position.trigger) ? "   ← here" : "")) }
                case let .fault(fault, _):
                    lines.append("    ⚡ \(fault)")
                case let .failure(failure):
                    lines.append("    ✖ \(failure.summary)")
                case let .actionFailed(action, error):
                    lines.append("    ✗ \(action.plugin) failed: \(error)")
                }
            }
        }
        return lines
    }
}
