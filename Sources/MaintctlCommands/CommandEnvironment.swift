import MaintenanceKit
import RolloutJournal

/// What the program that runs the commands (the `maintctl` executable, or a test harness) may
/// change about how they run; `maintctl` itself changes nothing.
public struct CommandEnvironment: Sendable {
    /// Wraps the journal a rollout writes its intents and outcomes to (to watch its writes).
    public var journal: @Sendable (any MaintenanceKit.RolloutJournal) -> any MaintenanceKit.RolloutJournal = { $0 }
    /// Where journals, locks and the run history are kept; `$MAINTCTL_HOME` (else `~/.maintctl`) when nil.
    public var home: MaintctlHome?

    /// The home commands use.
    var maintctlHome: MaintctlHome { home ?? .current }

    public init() {}

    /// The environment of the commands run in this task.
    @TaskLocal public static var current = CommandEnvironment()
}
