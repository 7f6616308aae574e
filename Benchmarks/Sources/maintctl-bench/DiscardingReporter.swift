import MaintenanceKit

/// A reporter that drops every event, so the benchmark times the rollout, not its output.
struct DiscardingReporter: RolloutReporter {
    func report(_ event: RolloutEvent) {}
}
