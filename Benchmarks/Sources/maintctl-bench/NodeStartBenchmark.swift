import ContainerBackend
import Foundation
import MaintenanceKit
import ProcessBackend
import RedisWire

/// How fast a node comes up (`--container`): for local processes and for containers, each
/// trial provisions a node (a directory; a container created and started), starts one
/// `redis-server` on it and waits for its PING, then deletes the node. It also times the
/// first build of a container image from the local `redis-server`.
struct NodeStartBenchmark {
    /// Trials per kind of node.
    var trials: Int

    struct Result: Sendable {
        /// The image built and imported, once (containers only).
        var imageBuild: Duration?
        var samples: [ClusterNodes: Samples] = [:]
        var failures: [String] = []
    }

    struct Samples: Sendable {
        /// Node provisioned: a directory made; a container created and started.
        var provision: [Duration] = []
        /// From asking for the server until it answers PING.
        var serverToPing: [Duration] = []
        /// Both: a new node until its server answers.
        var nodeToPing: [Duration] = []
        /// The node deleted (its server stopped, the container removed).
        var delete: [Duration] = []
    }

    /// The image the trials' containers run.
    static let image = ContainerHost.builtRepository + ":bench"

    func measure() async -> Result {
        var result = Result()
        let engine: ContainerEngine
        do {
            engine = try ContainerEngine.fromEnvironment()
            try await engine.ping()
        } catch {
            result.failures.append("node start: \(error)")
            return result
        }
        let container = ContainerHost(engine: engine, imageSource: "redis-server")
        do {
            try await engine.removeImage(Self.image)
            result.imageBuild = try await timedAsync { try await container.check(version: "bench", runnable: Self.image) }.1
        } catch {
            result.failures.append("node start: building \(Self.image): \(error)")
            return result
        }
        for (kind, host, runnable) in [(ClusterNodes.processes, LocalProcessHost() as any ServerHost, "redis-server"),
                                       (.containers, container, Self.image)] {
            var samples = Samples()
            for trial in 0..<trials {
                do {
                    try await self.trial(trial, on: host, runnable: runnable, into: &samples)
                } catch {
                    result.failures.append("node start, \(kind), trial \(trial + 1): \(error)")
                }
            }
            result.samples[kind] = samples
        }
        try? await engine.removeImage(Self.image)
        return result
    }

    private func trial(_ trial: Int, on host: any ServerHost, runnable: String, into samples: inout Samples) async throws {
        let node = NodeSpec(id: "bench-\(trial)", version: "bench", capacity: Capacity(memoryMB: 256, cpus: 1))
        let directory = NSTemporaryDirectory() + "maintctl-node-start-\(UUID().uuidString)/\(node.id)"
        let started = ContinuousClock.now
        let address = try await host.provision(node, runnable: runnable, directory: directory, current: nil, taken: [])
        let location = NodeLocation(id: node.id, address: address)
        let provisioned = ContinuousClock.now
        defer { samples.provision.append(provisioned - started) }
        do {
            let port = try FreePort.find()
            _ = try await host.startServer(on: location, runnable: runnable, arguments: [
                "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--logfile", directory + "/redis.log",
                "--save", "", "--appendonly", "no",
            ], pidFile: directory + "/redis.pid")
            try await Self.waitForPing(port)
            let answered = ContinuousClock.now
            samples.serverToPing.append(answered - provisioned)
            samples.nodeToPing.append(answered - started)
        } catch {
            try? await host.delete(location, directory: directory)
            throw error
        }
        let deleting = ContinuousClock.now
        try await host.delete(location, directory: directory)
        samples.delete.append(ContinuousClock.now - deleting)
        try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent)
    }

    /// Waits (10 s at most) until the server on `port` answers PING.
    static func waitForPing(_ port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let link = try? await RedisConnection.connect(port: port, timeout: .milliseconds(200)) {
                let reply = try? await link.send(["PING"], timeout: .milliseconds(200))
                await link.close()
                if reply?.string == "PONG" { return }
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw BenchmarkFailure("the server on port \(port) did not answer PING within 10 s")
    }
}
