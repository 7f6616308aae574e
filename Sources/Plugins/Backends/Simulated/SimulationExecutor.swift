import Dispatch
import Foundation
import MaintenanceKit
import Synchronization

/// A thread that runs the branches of simulated rollouts. A virtual clock runs one branch at a
/// time anyway, and a turn handed from branch to branch on one thread wakes no other thread.
/// Jobs run in the order they were enqueued. Clocks share a few of them, one per core, each
/// clock on the one with the fewest clocks running, so that simulations run side by side
/// (`verify`) still use every core.
final class SimulationExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = DispatchSemaphore(value: 0)

    /// One executor per core, each on a thread that lives as long as the process.
    private static let pool: [SimulationExecutor] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { index in
        SimulationExecutor(name: "maintctl.simulation.\(index)")
    }
    /// How many clocks run on each executor of the pool.
    private static let clocks = Mutex<[Int]>(Array(repeating: 0, count: pool.count))

    /// The executor with the fewest clocks running, now running one more; give it back with
    /// ``release()`` when the clock has no branch open.
    static func acquire() -> SimulationExecutor {
        let index = clocks.withLock { counts in
            let index = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            counts[index] += 1
            return index
        }
        return pool[index]
    }

    /// A clock that ran on this executor has no branch open any more.
    func release() {
        guard let index = Self.pool.firstIndex(where: { $0 === self }) else { return }
        Self.clocks.withLock { $0[index] -= 1 }
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
        Blocking.markCurrentThreadDedicated()
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
