import Foundation
import Logging

extension RolloutRuntime {
    /// Runs one cache's actions in order and checks its invariants at the end.
    func runCache(_ cachePlan: CachePlan, clock: any RolloutClock) async -> CacheOutcome {
        var outcome = CacheOutcome(
            cache: cachePlan.cache, placement: cachePlan.placement, status: .succeeded, started: clock.now,
            finished: clock.now, actionsCompleted: 0, actionsPlanned: cachePlan.actions.count,
            replacements: [], failovers: [], violations: [], stoppedAt: nil, error: nil)
        reporter.report(.cacheStarted(cache: cachePlan.cache, placement: cachePlan.placement, at: clock.now))
        do {
            try await backend.beginMaintenance(of: cachePlan.cache)
        } catch {
            outcome.status = .failed
            outcome.error = "could not begin maintenance: \(error)"
            absorb(error, into: &outcome, step: nil)
            outcome.finished = clock.now
            return outcome
        }
        let cacheFaults = faults(of: cachePlan.cache, clock: clock)
        // Faults due at a fixed time run beside the actions, and have ended before the maintenance does.
        if let timed = timedFaults(of: cacheFaults.schedule, cache: cachePlan.cache, clock: clock) {
            let branch = clock.openBranch()
            outcome = await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await clock.run(branch) { await timed() }
                    clock.closeBranch(branch)
                }
                defer { group.cancelAll() }
                return await runActions(of: cachePlan, from: outcome, faults: cacheFaults, clock: clock)
            }
        } else {
            outcome = await runActions(of: cachePlan, from: outcome, faults: cacheFaults, clock: clock)
        }
        do {
            // The end state is checked too, whatever the backend checked on its way; a violation
            // found here is put on the last action that ran.
            let topology = try await backend.topology(of: cachePlan.cache)
            let known = Set(outcome.violations.map(\.identity))
            let last = outcome.actionsCompleted > 0 ? cachePlan.actions[outcome.actionsCompleted - 1] : nil
            for var violation in Invariants.check(topology) where !known.contains(violation.identity) {
                if let last {
                    violation.step = steps[last.stepIndex]?.step.displayName ?? last.plugin
                    violation.location = last.stepLocation
                }
                outcome.violations.append(violation)
            }
            outcome.replacements = cachePlan.replacements.filter { replacement in
                topology.node(replacement.old).map { $0.lifecycle == .removed || $0.lifecycle == .deleted } == true
                    && topology.liveNodes.contains { $0.id == replacement.new }
            }
        } catch {
            logger.warning("could not read the final topology of \(cachePlan.cache): \(error)")
        }
        do {
            try await backend.endMaintenance(of: cachePlan.cache)
        } catch {
            logger.warning("could not end maintenance of \(cachePlan.cache): \(error)")
        }
        if !outcome.violations.isEmpty, outcome.status == .succeeded { outcome.status = .failed }
        outcome.finished = clock.now
        return outcome
    }

    /// Runs the cache's actions in order, from `outcome` (the cache begun), until the last one,
    /// a failure, a pause or a stop.
    private func runActions(of cachePlan: CachePlan, from outcome: CacheOutcome, faults cacheFaults: CacheFaults,
                            clock: any RolloutClock) async -> CacheOutcome {
        var outcome = outcome
        var random = SeededRandom(seed: seed, label: cachePlan.cache)
        let blocks = nodeBlocks(of: cachePlan)
        var pausing: Pausing?
        for (position, action) in cachePlan.actions.enumerated() {
            if let done = progress.result(of: action) {
                replay(action, done: done, into: &outcome, faults: cacheFaults, clock: clock)
                continue
            }
            if let halt = await gate(action, needing: blocks[position], pausing: pausing, clock: clock) {
                outcome.status = halt.status
                outcome.stoppedAt = "before \(action.summary)"
                outcome.error = halt.reason
                break
            }
            cacheFaults.schedule?.actionStarted(action.plugin)
            let failuresBefore = outcome.unplannedFailures.count
            do {
                try await perform(action, upcoming: cachePlan.actions[(position + 1)...], into: &outcome, random: &random, clock: clock,
                                  faults: cacheFaults)
                outcome.actionsCompleted += 1
            } catch {
                outcome.status = .failed
                outcome.stoppedAt = action.summary
                outcome.error = "\(error)"
                absorb(error, into: &outcome, step: action)
                // The other caches stop at their next safe point, on real and virtual time alike.
                if plan.policy.onFailure == .stopAll { stop.request(.failure(cache: cachePlan.cache)) }
                break
            }
            let fresh = Array(outcome.unplannedFailures[failuresBefore...])
            guard !fresh.isEmpty else { continue }
            switch await decide(after: action, at: position, of: cachePlan, failures: fresh, pausing: pausing) {
            case .goOn: continue
            case let .pause(next): pausing = next
            case let .fail(reason):
                outcome.status = .failed
                outcome.stoppedAt = "after \(action.summary)"
                outcome.error = reason
                if plan.policy.onFailure == .stopAll { stop.request(.failure(cache: cachePlan.cache)) }
                return outcome
            }
        }
        return outcome
    }

    /// Counts an action an interrupted run already did, as if it had just run.
    private func replay(_ action: PlannedAction, done: ActionResult, into outcome: inout CacheOutcome, faults: CacheFaults,
                        clock: any RolloutClock) {
        faults.schedule?.actionStarted(action.plugin)
        _ = faults.schedule?.actionEnded(now: clock.now)
        outcome.actionsCompleted += 1
        outcome.failovers += done.failovers
        outcome.syncs += done.syncs
        reporter.report(.actionAlreadyDone(action, at: clock.now))
    }

    /// The first action of each node's run of per-node actions (its drain, migrations and
    /// removal), by position, with the predicted length of the whole run.
    func nodeBlocks(of cachePlan: CachePlan) -> [Int: Duration] {
        var blocks: [Int: Duration] = [:]
        var current: (node: String, start: Int)?
        for (position, action) in cachePlan.actions.enumerated() {
            guard steps[action.stepIndex]?.step.isPerNode == true, let node = action.subject.node else {
                current = nil
                continue
            }
            if let open = current, open.node == node {
                blocks[open.start, default: .zero] += action.predictedDuration
            } else {
                current = (node, position)
                blocks[position] = action.predictedDuration
            }
        }
        return blocks
    }

    /// Holds a node's drain back until a maintenance window has room for all of its actions.
    /// - Returns: false when a stop was requested while waiting.
    func waitForWindow(before action: PlannedAction, needing length: Duration, clock: any RolloutClock) async -> Bool {
        guard windows.isRestricted else { return true }
        let now = calendarStart.addingTimeInterval(clock.now.seconds)
        if let end = windows.openUntil(at: now), end.timeIntervalSince(now) >= length.seconds { return true }
        guard let opening = windows.nextOpening(after: now, lasting: length) else { return true }
        let closing = windows.openUntil(at: now).map { "the window closes in \(Duration.seconds($0.timeIntervalSince(now)).humanReadable)" }
            ?? "outside the maintenance windows"
        reporter.report(.paused(cache: action.cache, at: clock.now, until: opening,
                                reason: "\(closing); \(action.subject.node ?? "the next node") needs about \(length.humanReadable)"))
        // In steps, so that an abort asked from another process is seen; a stop ends the wait at once.
        for _ in 0..<1_000_000 {
            let left = opening.timeIntervalSince(calendarStart.addingTimeInterval(clock.now.seconds))
            if left <= 0 { break }
            if stop.isRequested { return false }
            if await journal?.isAbortRequested() == true { return false }
            let step = Duration.milliseconds(Int64(min(left, 30) * 1000) + 1)
            let slept = await withTaskGroup(of: Bool.self) { group in
                group.addTask { (try? await clock.sleep(for: step)) != nil }
                group.addTask {
                    await stop.wait()
                    return false
                }
                defer { group.cancelAll() }
                return await group.next() ?? false
            }
            if !slept { return false }
        }
        reporter.report(.resumed(cache: action.cache, at: clock.now))
        return true
    }

    /// Performs one action with its step's time limit, retrying when the step allows it.
    private func perform(_ action: PlannedAction, upcoming: ArraySlice<PlannedAction>, into outcome: inout CacheOutcome,
                         random: inout SeededRandom, clock: any RolloutClock, faults: CacheFaults) async throws {
        guard let step = steps[action.stepIndex] else {
            throw PlanningError("no step \(action.stepIndex) for action '\(action.summary)'")
        }
        let attempts = step.attempts
        // Attempts made before an interruption keep their numbers; the retry budget starts anew.
        let earlier = progress.attemptsMade(of: action)
        for attempt in (earlier + 1)...(earlier + attempts) {
            let started = clock.now
            try await journal?.recordIntent(action, attempt: attempt)
            reporter.report(.actionStarted(action, at: started, attempt: attempt))
            let recorder = ActionRecorder()
            let context = ExecutionContext(backend: faults.backend, logger: logger, cache: action.cache, attempt: attempt, upcoming: upcoming,
                                           recorder: recorder)
            do {
                do {
                    try await clock.withTimeout(step.step.timeout) {
                        try await step.perform(action, context)
                    }
                } catch {
                    await afterAttempt(of: action, faults: faults, recorder: recorder, into: &outcome, clock: clock)
                    throw error
                }
                // Reported before the faults due at its end, so lines come in the order things happened.
                let took = clock.now - started
                reporter.report(.actionFinished(action, at: clock.now, took: took, attempt: attempt,
                                                result: ActionResult(succeeded: true, notes: recorder.notes, failovers: recorder.failovers,
                                                                     syncs: recorder.syncs)))
                await afterAttempt(of: action, faults: faults, recorder: recorder, into: &outcome, clock: clock)
                // With the unplanned failovers its end brought.
                let result = ActionResult(succeeded: true, notes: recorder.notes, failovers: recorder.failovers, syncs: recorder.syncs,
                                          timing: ActionTiming(started: started, took: took))
                try await journalOutcome(of: action, attempt: attempt, result: result)
                outcome.failovers += recorder.failovers
                outcome.syncs += recorder.syncs
                return
            } catch let error as JournalWriteError {
                throw error
            } catch {
                outcome.failovers += recorder.failovers
                let result = ActionResult(succeeded: false, error: "\(error)", notes: recorder.notes,
                                          failovers: recorder.failovers, syncs: recorder.syncs,
                                          timing: ActionTiming(started: started, took: clock.now - started))
                try await journalOutcome(of: action, attempt: attempt, result: result)
                let willRetry = attempt < earlier + attempts && RetryDecision.isRetryable(error) && !stop.isRequested
                reporter.report(.actionFailed(action, at: clock.now, error: "\(error)", attempt: attempt, willRetry: willRetry))
                guard willRetry else { throw error }
                try await clock.sleep(for: backoff.delay(beforeRetry: attempt - earlier, using: &random))
            }
        }
    }

    /// Injects the faults due when an action's attempt ends and collects the failures the
    /// backend noticed, so that they are journaled with the attempt.
    private func afterAttempt(of action: PlannedAction, faults: CacheFaults, recorder: ActionRecorder,
                              into outcome: inout CacheOutcome, clock: any RolloutClock) async {
        var failures: [UnplannedFailure] = []
        if let schedule = faults.schedule {
            await inject(schedule.actionEnded(now: clock.now), into: schedule, in: action.cache, clock: clock)
            failures = schedule.takeNoticed()
        }
        failures += await collectUnplannedFailures(in: action.cache, clock: clock)
        for failover in failures.flatMap(\.failovers) { recorder.record(failover) }
        outcome.unplannedFailures += failures
    }

    /// Writes an attempt's outcome and the cache's observed state; a failed write ends the
    /// rollout of this cache, since what follows could no longer be resumed exactly.
    private func journalOutcome(of action: PlannedAction, attempt: Int, result: ActionResult) async throws {
        guard let journal else { return }
        let observed = try? await backend.topology(of: action.cache)
        do {
            try await journal.recordOutcome(action, attempt: attempt, result: result, observed: observed)
        } catch {
            throw JournalWriteError(underlying: "\(error)")
        }
    }

    /// Records an invariant violation carried by `error`, naming the step that caused it.
    private func absorb(_ error: any Error, into outcome: inout CacheOutcome, step action: PlannedAction?) {
        guard var violation = error as? InvariantViolation else { return }
        if let action {
            violation.step = steps[action.stepIndex]?.step.displayName ?? action.plugin
            violation.location = action.stepLocation
        }
        outcome.violations.append(violation)
    }
}
