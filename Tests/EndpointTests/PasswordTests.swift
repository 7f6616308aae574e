import Foundation
import LiveClusterSupport
import MaintenanceKit
import ProcessBackend
import RedisWire
import Testing

/// A cache with a password: its servers, its endpoints and maintctl all require and use it, and
/// the secret appears in no file of the state, no log and no process's command line.
@Suite(.serialized) struct PasswordTests {
    @Test(arguments: LiveCluster.Nodes.allCases)
    func aPasswordIsRequiredEverywhereAndShownNowhere(nodes: LiveCluster.Nodes) async throws {
        let variable = "MAINTCTL_TEST_SECRET_\(UInt32.random(in: 0...UInt32.max))"
        let secret = "s3cr3t \"quoted\" $(no) \(UUID().uuidString)"
        setenv(variable, secret, 1)
        defer { unsetenv(variable) }
        var inventory = try InventoryLoader.load(path: LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml")
        inventory.caches[0].password = SecretReference(env: variable)
        try await LiveCluster.with(nodes, inventory: inventory) { cluster in
            let copies = await cluster.backend.status()
            #expect(copies.allSatisfy { $0.healthy }, "maintctl reads the cluster with the password: \(copies)")
            let server = try #require(copies.first?.port)
            let anonymous = try await RedisConnection.connect(port: server)
            let refused = try await anonymous.send(["GET", "k"])
            await anonymous.close()
            #expect(refused.description.contains("NOAUTH"), "a server without the password: \(refused)")

            let endpoint = try #require(await cluster.backend.endpointStatus().first(where: \.running)?.endpoint)
            let endpointPort = try #require(Int(endpoint.split(separator: ":").last ?? ""))
            let stranger = try await RedisConnection.connect(port: endpointPort)
            let strangerReply = try await stranger.send(["SET", "k", "v"])
            let wrong = try await stranger.send(["AUTH", "not-it"])
            await stranger.close()
            #expect(strangerReply == .error("NOAUTH Authentication required."))
            #expect(wrong.description.contains("WRONGPASS"))
            let client = try await RedisConnection.connect(port: endpointPort, password: secret)
            let written = try await client.send(["MSET", "{a}1", "x", "{b}2", "y", "{c}3", "z"])
            let read = try await client.send(["MGET", "{a}1", "{b}2", "{c}3"])
            await client.close()
            #expect(written == .simpleString("OK"))
            #expect(read == .array([.bulkString(Array("x".utf8)), .bulkString(Array("y".utf8)), .bulkString(Array("z".utf8))]))

            // A replica that syncs and a planned failover need the password between servers too.
            try await cluster.addFreshNode(withACopyOf: "s2")
            _ = try await cluster.backend.waitForSync(of: "s2", on: "fresh", in: "local")
            _ = try await cluster.backend.failover("s2", to: "fresh", in: "local")
            let after = try await RedisConnection.connect(port: endpointPort, password: secret)
            let value = try await after.send(["GET", "{b}2"])
            await after.close()
            #expect(value == .bulkString(Array("y".utf8)), "the endpoint follows the failover")

            #expect(Self.filesHolding(secret, under: cluster.directory).isEmpty, "no file of the state holds the secret")
            #expect(Self.processesShowing(secret).isEmpty, "no command line shows the secret")
        }
    }

    /// Files under `directory` whose bytes contain `secret`.
    static func filesHolding(_ secret: String, under directory: String) -> [String] {
        let needle = Data(secret.utf8)
        let walker = FileManager.default.enumerator(atPath: directory)
        var found: [String] = []
        while let relative = walker?.nextObject() as? String {
            let path = directory + "/" + relative
            if let data = FileManager.default.contents(atPath: path), data.range(of: needle) != nil { found.append(path) }
        }
        return found
    }

    /// Pids whose command line contains `secret`.
    static func processesShowing(_ secret: String) -> [String] {
        let needle = Data(secret.utf8)
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return data.range(of: needle) != nil
        }
    }
}
