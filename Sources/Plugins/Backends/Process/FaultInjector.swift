import Foundation
import MaintenanceKit

/// Brings faults about for real on a node's `redis-server` processes, through the node's host,
/// by pid and only after checking each is still the server we started: a crash is SIGKILL of
/// its servers (a container is killed whole), a pause is SIGSTOP and, when it is over,
/// SIGCONT (a stalled VM). The ends of pauses run as jobs of the backend's
/// ``BackgroundScope``, so none outlives it; it knows no cluster state.
actor FaultInjector {
    private let host: any ServerHost
    private let driver: RedisClusterDriver
    private let background: BackgroundScope
    /// The jobs that end this instance's pauses on time, by the pause's first pid.
    private var pauseEnders: [Int32: BackgroundJob] = [:]

    init(host: any ServerHost, driver: RedisClusterDriver, background: BackgroundScope) {
        self.host = host
        self.driver = driver
        self.background = background
    }

    /// Crashes `node` (its processes die by SIGKILL) and waits until they are gone.
    func crash(_ processes: [ClusterState.Copy], of node: NodeLocation) async {
        let servers = processes.map(\.server)
        let conditions = await host.conditions(of: servers)
        await host.crash(node, pids: zip(servers, conditions).filter { $0.1 != .gone }.map(\.0.pid))
        for _ in 0..<500 where await host.conditions(of: servers).contains(where: { $0 != .gone }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
        for copy in processes { await driver.forgetConnection(to: copy.address) }
    }

    /// Whether a pause could be ended on time: the background scope runs.
    func canEndPauses() async -> Bool { await background.waitUntilRunning() }

    /// SIGSTOPs the processes, waits until they are stopped, and starts the job that SIGCONTs
    /// them after `duration` and then calls `ended` with the pause's key (its first pid).
    /// - Throws: `BackendError` when the job cannot start; the processes run again then.
    func pause(_ paused: [HostedServer], of node: String, for duration: Duration,
               ended: @escaping @Sendable (Int32) async -> Void) async throws {
        await host.signal(.pause, to: paused)
        for _ in 0..<500 where await host.conditions(of: paused).contains(.running) {
            try? await Task.sleep(for: .milliseconds(2))
        }
        let key = paused[0].pid
        // A job of its own, so the SIGCONT waits for no actor; it is kept, and stopped by
        // whoever ends the pause early (a cancelled sleep resumes at once).
        let host = self.host
        do {
            pauseEnders[key] = try await background.start(priority: .high) { [weak self] in
                try? await Task.sleep(for: duration)
                await host.signal(.resume, to: paused)
                await self?.forget(key)
                await ended(key)
            }
        } catch {
            await host.signal(.resume, to: paused)
            forget(key)
            await ended(key)
            throw BackendError(.backgroundNotRunning, "cannot pause \(node): \(error)")
        }
    }

    /// Whether this instance injected the pause keyed `key` and it is not over.
    func isPausing(_ key: Int32) -> Bool { pauseEnders[key] != nil }

    /// Ends these pauses now: their processes run again, and their jobs stop.
    func end(_ pauses: [ClusterState.Pause]) async {
        for pause in pauses {
            await host.signal(.resume, to: pause.servers)
            guard let key = pause.processes.first?.pid, let ender = pauseEnders[key] else { continue }
            await ender.stop()
        }
    }

    private func forget(_ key: Int32) { pauseEnders[key] = nil }
}
