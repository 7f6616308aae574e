import Foundation
import ProcessBackend
import RedisWire
import Testing

extension ProcessCommandLineTests {
    /// maintctl SIGKILLed while the endpoints hold a shard through its planned failover: the
    /// endpoints end the hold by themselves within its limit and serve on, the shard keeps one
    /// primary, `resume` completes the rollout, and a redis-py client writing through an
    /// endpoint all along loses nothing (a held write answered `TRYAGAIN` was not run, and its
    /// retry succeeds).
    @Test func maintctlKilledWhileTheEndpointsHoldThenResumedLosesNothing() async throws {
        try await withCluster { state in
            let home = try CLI.temporaryDirectory("home")
            let journal = home + "/rollout.sqlite"
            let endpoint = try #require(try await fullStatus(state).nodes.first { $0.node == "node-3" }?.endpoint)
            let stop = home + "/stop", ready = home + "/ready"
            let client = try CLI.start(program: CLI.python, [
                CLI.packageRoot + "/Tests/EndpointTests/Clients/handoff_client.py", "--endpoint", endpoint,
                "--protocol", "3", "--notifications", "on", "--retry", "--allow-error", "TRYAGAIN", "--allow-error", "TryAgainError",
                // Longer than the hold's limit: a held write is answered, not timed out.
                "--socket-timeout", "15", "--stop-file", stop, "--ready-file", ready, "--max-seconds", "300",
            ])
            defer { client.killAndReap() }
            for _ in 0..<300 where !FileManager.default.fileExists(atPath: ready) && client.isRunning {
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(FileManager.default.fileExists(atPath: ready), "the client writes: \(client.stderr)")

            let running = try CLI.start(["run", "Playbooks/rolling-patch.yaml", "--backend", "process", "--state", state,
                                         "--journal", journal], home: home)
            defer { running.killAndReap() }
            // A hold lasts about a failover's write gap (tens of milliseconds): maintctl is
            // stopped by a watcher the moment an endpoint announces FAILING_OVER (it holds the
            // shard by then), and killed if an endpoint still holds it.
            let watcher = try await HoldWatcher(state: state)
            var held: [String] = []
            let deadline = ContinuousClock.now + .seconds(180)
            for _ in 0..<20 where held.isEmpty && running.isRunning && ContinuousClock.now < deadline {
                let freezer = try CLI.start(program: CLI.python, [
                    CLI.packageRoot + "/Tests/EndpointTests/Clients/freeze_on_failover.py", "--endpoint", endpoint,
                    "--pid", "\(running.pid)", "--max-seconds", "200",
                ])
                while freezer.isRunning, running.isRunning, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                guard !freezer.isRunning, await freezer.finish() == 0 else {
                    freezer.killAndReap()
                    continue
                }
                held = await watcher.held()
                kill(running.pid, held.isEmpty ? SIGCONT : SIGKILL)
            }
            try #require(!held.isEmpty, "maintctl was caught holding a shard: \(running.stdout)\(running.stderr)")
            #expect(await running.finish() == 128 + SIGKILL)

            // The endpoints end the hold by themselves: within its limit (5 s), with margin for a loaded machine.
            var stillHeld = held
            for _ in 0..<300 where !stillHeld.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                stillHeld = await watcher.held()
            }
            await watcher.close()
            #expect(stillHeld.isEmpty, "the endpoints still hold \(stillHeld) 15 s after maintctl died holding \(held)")
            let copies = try await status(state)
            for shard in Set(copies.map(\.shard)) {
                #expect(copies.filter { $0.shard == shard && $0.role == "primary" }.count == 1, "one primary for \(shard): \(copies)")
            }

            let resumed = try await CLI.run(["resume", journal], home: home)
            #expect(resumed.status == 0, "\(resumed.stderr)\(resumed.stdout)")
            try await expectConsistent(state)
            let patched = try await status(state)
            #expect(patched.count == 6 && patched.allSatisfy { $0.version == "7.2.5" && $0.healthy }, "\(patched)")

            _ = FileManager.default.createFile(atPath: stop, contents: nil)
            #expect(await client.finish() == 0, "\(client.stderr)")
            let checks = client.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            for name in ["errors", "lost"] {
                let check = checks.first { $0["check"] as? String == name }
                #expect(check?["ok"] as? Bool == true, "\(name): \(check ?? [:]) \(client.stderr)")
            }
        }
    }

}

/// Asks every endpoint of a cluster which shards it holds, over control connections it keeps open.
private struct HoldWatcher {
    let connections: [RedisConnection]

    init(state: String) async throws {
        let nodes = try FileManager.default.contentsOfDirectory(atPath: state + "/nodes")
        var connections: [RedisConnection] = []
        for node in nodes {
            connections.append(try await RedisConnection.connect(unixSocket: EndpointProcess.controlSocket(in: state + "/nodes/" + node)))
        }
        self.connections = connections
    }

    func close() async {
        for connection in connections { await connection.close() }
    }

    /// The primaries whose shard any endpoint holds now; an endpoint that does not answer holds none.
    func held() async -> [String] {
        await withTaskGroup(of: [String].self) { group in
            for connection in connections {
                group.addTask {
                    guard case let .bulkString(bytes?) = try? await connection.send(["STATUS"], timeout: .seconds(2)),
                          let status = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return [] }
                    return status["held"] as? [String] ?? []
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }
}
