/// Decides which caches may start: at most `maxParallel` at once and never two that share
/// an exclusion key (resource group + region by default). The planner predicts with it and
/// the runtime schedules with it, so what `plan` shows is what `run` does.
public struct CacheScheduler: Sendable {
    private var pending: [String]
    private let keys: [String: String]
    private let maxParallel: Int
    private(set) var running: [String] = []
    private var busyKeys: Set<String> = []

    /// - Parameters:
    ///   - caches: Cache ids in the order they should start.
    ///   - keys: The exclusion key of each cache.
    ///   - maxParallel: How many may run at once.
    public init(caches: [String], keys: [String: String], maxParallel: Int) {
        self.pending = caches
        self.keys = keys
        self.maxParallel = max(1, maxParallel)
    }

    /// Whether any cache is still waiting or running.
    public var isDone: Bool { pending.isEmpty && running.isEmpty }
    /// The caches that are running.
    public var runningCaches: [String] { running }

    /// Takes every cache that may start now, in order, and marks it running.
    public mutating func start() -> [String] {
        var started: [String] = []
        var index = 0
        while index < pending.count, running.count < maxParallel {
            let cache = pending[index]
            let key = keys[cache, default: cache]
            if busyKeys.contains(key) {
                index += 1
                continue
            }
            pending.remove(at: index)
            running.append(cache)
            busyKeys.insert(key)
            started.append(cache)
        }
        return started
    }

    /// Marks `cache` finished, freeing its slot and its key.
    public mutating func finish(_ cache: String) {
        running.removeAll { $0 == cache }
        busyKeys.remove(keys[cache, default: cache])
    }

    /// Drops every cache that has not started; returns them.
    public mutating func cancelPending() -> [String] {
        defer { pending.removeAll() }
        return pending
    }

    /// Predicted start and end of each cache, given how long each takes.
    public static func predict(caches: [String], keys: [String: String], maxParallel: Int,
                               durations: [String: Duration]) -> [String: (start: Duration, end: Duration)] {
        var scheduler = CacheScheduler(caches: caches, keys: keys, maxParallel: maxParallel)
        var times: [String: (start: Duration, end: Duration)] = [:]
        var now = Duration.zero
        while !scheduler.isDone {
            for cache in scheduler.start() {
                times[cache] = (now, now + durations[cache, default: .zero])
            }
            let ends = scheduler.running.map { (cache: $0, end: times[$0]?.end ?? now) }
            guard let next = ends.min(by: { $0.end < $1.end }) else { break }
            now = next.end
            scheduler.finish(next.cache)
        }
        return times
    }
}
