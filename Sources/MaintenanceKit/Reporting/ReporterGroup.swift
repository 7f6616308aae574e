/// Hands every event to several reporters, in order: the text lines and the event stream of
/// one run.
public struct ReporterGroup: RolloutReporter {
    private let reporters: [any RolloutReporter]

    public init(_ reporters: [any RolloutReporter]) {
        self.reporters = reporters
    }

    public func report(_ event: RolloutEvent) {
        for reporter in reporters { reporter.report(event) }
    }
}
