import Foundation
import Logging

/// Executes a ``Plan`` through a backend.
///
/// Caches run as child tasks of one task group, scheduled by ``CacheScheduler`` (policy
/// limit, one cache per exclusion key); within a cache, actions run one at a time, each with
/// its step's time limit and, for retryable steps, retries with backoff and jitter. A stop
/// request lets every action in flight finish, then starts nothing new.
public struct RolloutRuntime: Sendable {
    let plan: Plan
    /// The plan's steps bound to their plugins, by index.
    let steps: [Int: PreparedStep]
    let registry: PluginRegistry
    let backend: any Backend
    let reporter: any RolloutReporter
    /// Keeps each cache's faults, failures and waits for its outcome.
    let timeline: TimelineRecorder
    let stop: StopSignal
    let logger: Logger
    let seed: UInt64
    let backoff: Backoff
    /// Where intents and outcomes are written down, if anywhere.
    let journal: (any RolloutJournal)?
    /// What an interrupted earlier run of this plan already did.
    let progress: RolloutProgress
    /// When a node's drain may start; always when empty.
    let windows: MaintenanceSchedule
    /// The calendar moment the rollout clock's zero stands for.
    let calendarStart: Date
    /// Faults to inject, by cache.
    let faults: [String: [ScheduledFault]]
    /// Whether every backend operation is reported (``RolloutEvent/operationFinished``).
    let observesOperations: Bool
    /// The backend, when it reports failures it noticed (asked after every action).
    let failureDetector: (any FailureDetecting)?

    /// - Parameters:
    ///   - plan: What to do; it carries everything execution needs.
    ///   - registry: The plugins that perform the actions.
    ///   - backend: Where the actions happen.
    ///   - options: Reporting, stopping, journaling and what an earlier run did.
    /// - Throws: `DiagnosticsError` when a step's plugin is missing or its parameters or an
    ///   action are not what the plugin needs; nothing has run then.
    public init(plan: Plan, registry: PluginRegistry, backend: any Backend, options: RolloutOptions) throws(DiagnosticsError) {
        self.init(prepared: try PreparedPlan(plan, registry: registry), registry: registry, backend: backend, options: options)
    }

    /// - Parameters:
    ///   - prepared: What to do, its steps already bound to the plugins of `registry`.
    ///   - registry: The plugins that plan the rest of a cache again after a failure.
    ///   - backend: Where the actions happen.
    ///   - options: Reporting, stopping, journaling and what an earlier run did.
    public init(prepared: PreparedPlan, registry: PluginRegistry, backend: any Backend, options: RolloutOptions) {
        self.plan = prepared.plan
        self.steps = prepared.steps
        self.registry = registry
        self.backend = backend
        let timeline = TimelineRecorder()
        self.timeline = timeline
        self.reporter = ReporterGroup([options.reporter, timeline])
        self.stop = options.stop
        self.logger = options.logger
        self.seed = options.seed
        self.backoff = options.backoff
        self.journal = options.journal
        self.progress = options.progress
        self.windows = options.honorWindows ? plan.schedule : MaintenanceSchedule([])
        self.calendarStart = options.calendarStart
        self.faults = options.faults
        self.observesOperations = options.observeOperations
        self.failureDetector = backend as? any FailureDetecting
    }

    /// Runs the rollout to its end (or to a stop) and returns its summary. The backend's
    /// background work runs beside it and has ended when this returns.
    public func run() async -> RolloutSummary {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await backend.run() }
            defer { group.cancelAll() }
            return await runCaches()
        }
    }

    private func runCaches() async -> RolloutSummary {
        let clock = ElapsedClock(backend.clock)
        reporter.report(.rolloutStarted(plan: plan, backend: backend.descriptor.id))
        let cachePlans = Dictionary(uniqueKeysWithValues: plan.caches.map { ($0.cache, $0) })
        let keys = cachePlans.mapValues { plan.policy.oneCacheAtATimePer.key(for: $0.placement) }
        var scheduler = CacheScheduler(caches: plan.caches.map(\.cache), keys: keys, maxParallel: plan.policy.maxParallelCaches)
        var outcomes: [CacheOutcome] = []

        await withTaskGroup(of: (ClockBranch, CacheOutcome).self) { group in
            // A finished cache's branch stays open until the caches it lets start are open, so
            // that a virtual clock does not move past the moment they start.
            var finished: ClockBranch?
            while true {
                if !stop.isRequested {
                    // Every branch is open before any starts: none may run ahead alone meanwhile.
                    let starting = scheduler.start().compactMap { cachePlans[$0] }.map { ($0, clock.openBranch()) }
                    for (cachePlan, branch) in starting {
                        group.addTask { await clock.run(branch) { (branch, await runCache(cachePlan, clock: clock)) } }
                    }
                }
                if let done = finished {
                    clock.closeBranch(done)
                    finished = nil
                }
                if scheduler.runningCaches.isEmpty { break }
                guard let (branch, outcome) = await group.next() else { break }
                finished = branch
                scheduler.finish(outcome.cache)
                outcomes.append(outcome)
                await record(outcome)
                if outcome.status == .failed, plan.policy.onFailure == .stopAll {
                    stop.request(.failure(cache: outcome.cache))
                }
            }
            let now = clock.now
            for cache in scheduler.cancelPending() {
                guard let cachePlan = cachePlans[cache] else { continue }
                let skipped = CacheOutcome(cache: cache, placement: cachePlan.placement, status: .skipped, started: now,
                                           finished: now, actionsCompleted: 0, actionsPlanned: cachePlan.actions.count,
                                           replacements: [], failovers: [], violations: [],
                                           stoppedAt: nil, error: nil)
                outcomes.append(skipped)
                await record(skipped)
            }
        }
        let summary = summarize(outcomes, clock: clock)
        reporter.report(.rolloutFinished(summary))
        return summary
    }

    /// Reports a cache's end and writes it down.
    private func record(_ outcome: CacheOutcome) async {
        var outcome = outcome
        let marks = timeline.take(outcome.cache)
        outcome.marks = marks.isEmpty ? nil : marks
        reporter.report(.cacheFinished(outcome))
        do {
            try await journal?.recordCacheFinished(outcome)
        } catch {
            logger.error("could not journal the end of \(outcome.cache): \(error)")
        }
    }

    private func summarize(_ outcomes: [CacheOutcome], clock: any RolloutClock) -> RolloutSummary {
        let violations = outcomes.flatMap(\.violations)
        let failed = outcomes.contains { $0.status == .failed } || !violations.isEmpty
        let paused = outcomes.contains { $0.status == .paused }
        let status: RolloutSummary.Status = failed ? .failed : paused ? .paused
            : (stop.isRequested || outcomes.contains { $0.status != .succeeded } ? .aborted : .succeeded)
        let order = Dictionary(uniqueKeysWithValues: plan.caches.enumerated().map { ($1.cache, $0) })
        let sorted = outcomes.sorted { order[$0.cache, default: 0] < order[$1.cache, default: 0] }
        return RolloutSummary(
            status: status, backend: backend.descriptor.id, playbook: plan.playbook, caches: sorted,
            failovers: sorted.flatMap(\.failovers).map(FailoverSummary.init), invariantViolations: violations,
            acknowledgedWritesLost: nil, durationMS: (outcomes.map(\.finished).max() ?? .zero).milliseconds,
            predictedDurationMS: plan.predictedDuration.milliseconds, expectedFailovers: plan.expectedFailovers.count,
            nodesReplaced: sorted.filter { $0.status == .succeeded }.reduce(0) { $0 + $1.replacements.count },
            syncMS: sorted.flatMap(\.syncs).reduce(Duration.zero) { $0 + $1.duration }.milliseconds,
            syncMB: sorted.flatMap(\.syncs).reduce(0) { $0 + $1.megabytes })
    }
}
