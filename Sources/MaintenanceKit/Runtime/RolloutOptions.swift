import Foundation
import Logging

/// How a plan is executed: who hears about it, what may stop it, where it is written down,
/// and what an interrupted earlier run already did.
public struct RolloutOptions: Sendable {
    /// Receives events as they happen.
    public var reporter: any RolloutReporter
    /// Asks the rollout to stop at the next safe point.
    public var stop: StopSignal
    /// For details.
    public var logger: Logger
    /// Seeds retry jitter.
    public var seed: UInt64 = 1
    /// Delays between retries.
    public var backoff = Backoff()
    /// Receives every intent and outcome before the rollout goes on.
    public var journal: (any RolloutJournal)?
    /// The actions an interrupted run already did; they are not done again.
    public var progress = RolloutProgress()
    /// Whether the plan's maintenance windows hold back node drains.
    public var honorWindows = true
    /// The date and time the rollout begins (its clock's zero).
    public var calendarStart = Date()
    /// Faults to inject, by cache; the backend must be ``FaultInjecting`` and able to bring
    /// each kind about.
    public var faults: [String: [ScheduledFault]] = [:]
    /// Report every backend operation, as `verify` needs to find the moments a fault can hit.
    public var observeOperations = false

    /// Options with defaults for everything but the reporter, the stop signal and the logger.
    public init(reporter: any RolloutReporter, stop: StopSignal, logger: Logger, seed: UInt64 = 1,
                journal: (any RolloutJournal)? = nil, progress: RolloutProgress = RolloutProgress(),
                faults: [String: [ScheduledFault]] = [:]) {
        self.reporter = reporter
        self.stop = stop
        self.logger = logger
        self.seed = seed
        self.journal = journal
        self.progress = progress
        self.faults = faults
    }
}
