import Dispatch
import Foundation
import Synchronization

/// A thread that runs the branches of simulated rollouts. A virtual clock runs one branch at a
/// time anyway, and a turn handed from branch to branch on one thread wakes no other thread.
/// Jobs run in the order they were enqueued. Clocks share a few of them, one per core, so that
/// simulations run side by side (`verify`) still use every core.
final class SimulationExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = DispatchSemaphore(value: 0)

    /// One executor per core, each on a thread that lives as long as the process.
    private static let pool: [SimulationExecutor] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { index in
        SimulationExecutor(name: "maintctl.simulation.\(index)")
    }
    private static let nextIndex = Atomic<Int>(0)

    /// The executor for a new clock: the pool's, in turn.
    static func next() -> SimulationExecutor {
        pool[nextIndex.add(1, ordering: .relaxed).oldValue % pool.count]
    }

    private init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    private func loop() {
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
