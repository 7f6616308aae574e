import Foundation
import ProcessBackend

/// Stops a benchmark cluster and checks that every `redis-server` it started is gone.
enum ClusterTeardown {
    /// Calls `down()` and returns the pids of servers of the cluster still alive afterwards
    /// (empty when the teardown was complete): those the backend knows and those running in
    /// its state directory.
    static func down(_ backend: ProcessBackend, directory: String) async -> [pid_t] {
        let known = Set(await backend.status().map(\.pid)).union(RedisProcessScan.pids(under: directory))
        try? await backend.down()
        let left = known.filter { RedisProcessScan.isAlive($0) && RedisProcessScan.isRedisServer($0) }
        return Array(Set(left).union(RedisProcessScan.pids(under: directory))).sorted()
    }

    /// Stops servers left in `directory` by a start that failed half-way, the way `down()` would.
    /// Returns those still alive afterwards.
    static func sweep(directory: String) async -> [pid_t] {
        for pid in RedisProcessScan.pids(under: directory) { kill(pid, SIGTERM) }
        for _ in 0..<250 where !RedisProcessScan.pids(under: directory).isEmpty {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return RedisProcessScan.pids(under: directory)
    }
}
