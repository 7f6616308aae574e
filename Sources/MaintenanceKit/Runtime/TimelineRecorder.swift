import Synchronization

/// Listens to a rollout's events and keeps each cache's ``TimelineMark``s until its outcome is
/// written down with them.
final class TimelineRecorder: RolloutReporter {
    private let marks = Mutex([String: [TimelineMark]]())

    func report(_ event: RolloutEvent) {
        guard let (cache, mark) = TimelineMark.of(event) else { return }
        marks.withLock { $0[cache, default: []].append(mark) }
    }

    /// The marks of `cache`, in the order they happened; they are not kept afterwards.
    func take(_ cache: String) -> [TimelineMark] {
        marks.withLock { $0.removeValue(forKey: cache) ?? [] }
    }
}
