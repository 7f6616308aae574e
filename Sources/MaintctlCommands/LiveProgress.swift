import Foundation
import MaintenanceKit
import Synchronization

/// A live block at the bottom of the terminal while a rollout runs: a line per cache under
/// maintenance with a bar of its actions done against planned, the action in flight (its node
/// and shard), how long it has run, how far its full sync has come (on backends that say), the
/// last failover's write gap, and an estimate of the time left — the plan's prediction, corrected by how the cache's actions so far compared with theirs.
/// Every other line (the per-action lines, warnings) is written above the block, which is then
/// drawn again; when the rollout ends the block is gone and only those lines remain.
///
/// Used only when standard output is a terminal that can move its cursor (not `TERM=dumb`), and
/// neither `--no-progress` nor `NO_COLOR` is given.
final class LiveProgress: RolloutReporter {
    private struct CacheLine {
        var cache: String
        var planned: Int
        var done = 0
        var predictedTotal: Duration
        /// Predicted and actual time of the actions done so far.
        var predictedDone: Duration = .zero
        var actualDone: Duration = .zero
        var current: (summary: String, predicted: Duration, startedAt: ContinuousClock.Instant)?
        var lastGapMS: Int64?
        var note: String?
        /// The full sync under way, as the backend last told it.
        var sync: SyncProgress?
    }

    private struct State {
        var caches: [String: CacheLine] = [:]
        var order: [String] = []
        /// Lines of the block on the screen now.
        var drawn = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let output: FileHandle
    /// Rollout seconds per real second: the simulated backend's `--time-scale`, else 1.
    private let clockRate: Double
    /// The backend, when it can tell how far its syncs have come.
    private let syncs: (any SyncProgressReporting)?

    /// Whether this terminal gets a live block.
    static func isWanted(disabled: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard !disabled, isatty(STDOUT_FILENO) == 1, environment["NO_COLOR"] == nil else { return false }
        let term = environment["TERM"] ?? ""
        return !term.isEmpty && term != "dumb"
    }

    init(plan: Plan, clockRate: Double = 1, syncs: (any SyncProgressReporting)? = nil, output: FileHandle = .standardOutput) {
        self.output = output
        self.clockRate = clockRate
        self.syncs = syncs
        state.withLock { state in
            for cachePlan in plan.caches where state.caches[cachePlan.cache] == nil {
                state.caches[cachePlan.cache] = CacheLine(cache: cachePlan.cache, planned: cachePlan.actions.count,
                                                          predictedTotal: cachePlan.actions.reduce(.zero) { $0 + $1.predictedDuration })
            }
        }
    }

    func report(_ event: RolloutEvent) {
        state.withLock { state in
            switch event {
            case let .cacheStarted(cache, _, _):
                state.order.append(cache)
            case let .actionStarted(action, _, attempt):
                state.caches[action.cache]?.current = (action.summary + (attempt > 1 ? " (attempt \(attempt))" : ""), action.predictedDuration, .now)
            case let .actionAlreadyDone(action, _):
                state.caches[action.cache]?.done += 1
                state.caches[action.cache]?.predictedDone += action.predictedDuration
                state.caches[action.cache]?.actualDone += action.predictedDuration
            case let .actionFinished(action, _, took, _, result):
                state.caches[action.cache]?.sync = nil
                state.caches[action.cache]?.done += 1
                state.caches[action.cache]?.predictedDone += action.predictedDuration
                state.caches[action.cache]?.actualDone += took
                state.caches[action.cache]?.current = nil
                if let gap = result.failovers.last?.unavailable { state.caches[action.cache]?.lastGapMS = gap.milliseconds }
            case let .paused(cache, _, until, _):
                state.caches[cache]?.note = "waiting for the window at \(until.formatted(date: .omitted, time: .shortened))"
            case let .resumed(cache, _):
                state.caches[cache]?.note = nil
            case let .cacheFinished(outcome):
                state.order.removeAll { $0 == outcome.cache }
            case .rolloutFinished:
                state.finished = true
            default:
                break
            }
        }
        redraw(printing: Self.lines(of: event))
    }

    /// Writes `text` above the block (to standard error when `toError`), then draws the block again.
    func print(_ text: String, toError: Bool = false) {
        redraw(printing: [text], toError: toError)
    }

    /// Draws the block again every half second, so the time in flight, the estimate and the
    /// syncs move, until the task is cancelled.
    func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            if let syncs {
                for cache in state.withLock({ $0.order }) {
                    let progress = await syncs.syncProgress(in: cache)
                    state.withLock { $0.caches[cache]?.sync = progress }
                }
            }
            redraw(printing: [])
        }
    }

    /// Takes the block off the screen for good.
    func finish() {
        state.withLock { state in
            state.finished = true
            write(clear(&state))
        }
    }

    // MARK: Drawing

    private func redraw(printing printed: [String], toError: Bool = false) {
        state.withLock { state in
            var text = clear(&state)
            if toError {
                write(text)
                text = ""
                FileHandle.standardError.writeSafely(printed.map { $0 + "\n" }.joined())
            } else {
                text += printed.map { $0 + "\n" }.joined()
            }
            guard !state.finished else { return write(text) }
            let (width, rows) = Self.terminalSize()
            var block = state.order.compactMap { state.caches[$0] }.map { Self.truncate(Self.render($0, clockRate: clockRate), to: max(20, width - 1)) }
            // Never taller than the terminal: the cursor could not go back up over it.
            let room = max(1, rows - 2)
            if block.count > room { block = Array(block.prefix(room - 1)) + ["… and \(block.count - room + 1) more caches"] }
            text += block.map { $0 + "\n" }.joined()
            state.drawn = block.count
            write(text)
        }
    }

    /// The escape sequence that takes the block off the screen (cursor up, erase below).
    private func clear(_ state: inout State) -> String {
        defer { state.drawn = 0 }
        return state.drawn > 0 ? "\u{1B}[\(state.drawn)A\r\u{1B}[J" : ""
    }

    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        output.writeSafely(text)
    }

    /// `pay-weu-1    ▕██████░░░░░░▏ 12/21  ETA 3m10s  gap 412ms  4.2s move s1 (primary) n1 → n1-7.2.5`:
    /// the figures first, so that a narrow terminal cuts the action's text, not them.
    private static func render(_ line: CacheLine, clockRate: Double) -> String {
        let filled = line.planned == 0 ? 12 : min(12, line.done * 12 / line.planned)
        let bar = "▕" + String(repeating: "█", count: filled) + String(repeating: "░", count: 12 - filled) + "▏"
        // What is left as predicted, scaled by how the actions so far did against their prediction.
        let ratio = line.predictedDone > .zero ? line.actualDone.seconds / line.predictedDone.seconds : 1
        let left = max(0, (line.predictedTotal - line.predictedDone).seconds * ratio)
        var parts = ["\(line.cache.padded(12)) \(bar) \(line.done)/\(line.planned)", "ETA \(Duration.seconds(left.rounded()).humanReadable)"]
        if let gap = line.lastGapMS { parts.append("gap \(gap)ms") }
        if let sync = line.sync { parts.append(sync.description) }
        if let current = line.current {
            let running = ((ContinuousClock.now - current.startedAt).seconds * clockRate).rounded()
            parts.append("\(Duration.seconds(running).humanReadable) \(current.summary)")
        } else if let note = line.note {
            parts.append(note)
        }
        return parts.joined(separator: "  ")
    }

    /// The lines `run` prints for `event` without a live block.
    private static func lines(of event: RolloutEvent) -> [String] {
        let collected = Mutex([String]())
        TextReporter { text in collected.withLock { $0.append(text) } }.report(event)
        return collected.withLock { $0 }
    }

    private static func truncate(_ text: String, to width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    /// Columns and rows of the terminal, read again at every redraw (it may be resized).
    static func terminalSize() -> (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }
}

extension FileHandle {
    /// Writes, ignoring a reader that went away (`| head`): that must not end a rollout.
    func writeSafely(_ text: String) {
        try? write(contentsOf: Data(text.utf8))
    }
}
