import Foundation
import Testing

/// A cache that asks for TLS (`tls:` in its inventory) on local processes and containers, through the
/// CLI: its servers, endpoints, maintctl and the probe speak TLS only, checked with
/// `redis-cli --tls` and redis-py, clients no one here wrote.
@Suite(.serialized) struct TLSCommandLineTests {
    /// What `cluster status --format json` says, as the process tests read it.
    typealias Status = ProcessCommandLineTests.Status

    /// A CA, and a certificate it signed for `addresses` with its key, made by `openssl` in `directory`.
    static func makeCertificates(in directory: String, addresses: [String] = ["127.0.0.1"]) async throws {
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "2", "-subj", "/CN=maintctl test CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=maintctl test server"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt",
             "-days", "2", "-extfile", "san.cnf"],
        ]
        let names = (addresses.map { "IP:\($0)" } + ["DNS:localhost"]).joined(separator: ",")
        try "subjectAltName=\(names)\n".write(toFile: directory + "/san.cnf", atomically: true, encoding: .utf8)
        for step in steps {
            let made = try await CLI.run(program: "/bin/sh", ["-c", "cd \"$1\" && shift && exec openssl \"$@\"", "sh", directory] + step)
            try #require(made.status == 0, "openssl \(step.first ?? ""): \(made.stderr)")
        }
    }

    /// An inventory of local-cluster.yaml's shape (3 nodes, 3 shards with one replica each)
    /// with a password in a file and the TLS files of `directory`.
    static func writeInventory(in directory: String, tls: String) throws -> String {
        try "tls-secret-\(UUID().uuidString)".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        let text = """
            caches:
              - id: local
                resource_group: rg
                region: r1
                leader: node-1
                password: { file: \(directory)/password }
                tls: \(tls)
                nodes:
                  - { id: node-1, version: "7.0", capacity: { memory_mb: 4096, cpus: 4 } }
                  - { id: node-2, version: "7.0", capacity: { memory_mb: 4096, cpus: 4 } }
                  - { id: node-3, version: "7.0", capacity: { memory_mb: 4096, cpus: 4 } }
                shards:
                  - { id: s1, primary: node-1, replicas: [node-2], size_mb: 10 }
                  - { id: s2, primary: node-2, replicas: [node-3], size_mb: 10 }
                  - { id: s3, primary: node-3, replicas: [node-1], size_mb: 10 }

            """
        let path = directory + "/inventory.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `redis-cli ARGUMENTS…` with the password from its file in its environment (never on a command line).
    func redisCLI(_ directory: String, _ arguments: [String]) async throws -> CLI.Result {
        try await CLI.run(program: "/bin/sh", ["-c", #"p=$1; shift; REDISCLI_AUTH=$(cat "$p") exec redis-cli "$@""#, "sh", directory + "/password"] + arguments)
    }

    @Test(arguments: ["process", "container"])
    func aTLSCacheSpeaksTLSOnlyAndIsPatchedUnderTheProbe(backend: String) async throws {
        let directory = CLI.scratch + "maintctl-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.makeCertificates(in: directory)
        let files = "{ ca_file: \(directory)/ca.crt, cert_file: \(directory)/server.crt, key_file: \(directory)/server.key }"
        let inventory = try Self.writeInventory(in: directory, tls: files)
        let checked = try await SchemaCommandLineTests.validate([inventory], against: try await SchemaCommandLineTests.schema("inventory"))
        #expect(checked.status == 0, "check-jsonschema: \(checked.stdout) \(checked.stderr)")

        let state = directory + "/state"
        let up = try await CLI.run(["cluster", "up", inventory, "--backend", backend, "--state", state])
        try #require(up.status == 0, "\(up.stderr)")
        do {
            let status = try JSONDecoder().decode(Status.self, from: Data(try await CLI.run(["cluster", "status", "--state", state, "--format", "json"]).stdout.utf8))
            let port = try #require(status.copies.first?.port)
            // TLS only: redis-cli over TLS is answered; over plain TCP, not.
            let overTLS = try await redisCLI(directory, ["--tls", "--cacert", directory + "/ca.crt", "-p", String(port), "PING"])
            #expect(overTLS.stdout.contains("PONG"), "\(overTLS.stdout) \(overTLS.stderr)")
            let plain = try await redisCLI(directory, ["-p", String(port), "PING"])
            #expect(!plain.stdout.contains("PONG"), "a plain TCP client is answered: \(plain.stdout)")

            // Every endpoint serves TLS: redis-py (plain client, RESP3) over TLS with the CA; a
            // client without TLS gets no answer.
            let endpoint = try #require(status.nodes.first { $0.node == "node-1" }?.endpoint)
            #expect(status.nodes.allSatisfy { $0.running }, "\(status.nodes)")
            let script = """
                import sys, redis
                host, port = sys.argv[1].rsplit(":", 1)
                password = open(sys.argv[2]).read().strip()
                client = redis.Redis(host=host, port=int(port), password=password, protocol=3, ssl=True, ssl_ca_certs=sys.argv[3], socket_timeout=5)
                client.mset({f"tls:{i}": str(i) for i in range(100)})
                assert client.mget([f"tls:{i}" for i in range(100)]) == [str(i).encode() for i in range(100)]
                print("tls ok")
                plain = redis.Redis(host=host, port=int(port), password=password, socket_timeout=2, socket_connect_timeout=2)
                try:
                    plain.ping()
                    print("plain answered")
                except redis.exceptions.ConnectionError:
                    print("plain refused")
                """
            let client = try await CLI.run(program: CLI.python, ["-c", script, endpoint, directory + "/password", directory + "/ca.crt"])
            #expect(client.stdout.contains("tls ok") && client.stdout.contains("plain refused"), "\(client.stdout) \(client.stderr)")

            // The rolling patch under the probe, which speaks TLS too.
            let run = try await CLI.run(["run", "Playbooks/rolling-patch.yaml", "--backend", backend, "--state", state, "--probe", "--format", "json"])
            #expect(run.status == 0, "\(run.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
            #expect(summary["status"] as? String == "succeeded")
            #expect(summary["acknowledged_writes_lost"] as? Int == 0)
            let impact = try #require(summary["client_impact"] as? [String: Any])
            #expect((impact["writes_acknowledged"] as? Int ?? 0) > 0)
            let after = try JSONDecoder().decode(Status.self, from: Data(try await CLI.run(["cluster", "status", "--state", state, "--format", "json"]).stdout.utf8))
            #expect(after.copies.count == 6 && after.copies.allSatisfy { $0.healthy && $0.version == "7.2.5" })
            let moved = try await redisCLI(directory, ["--tls", "--cacert", directory + "/ca.crt", "-p", String(after.copies[0].port), "PING"])
            #expect(moved.stdout.contains("PONG"), "\(moved.stdout) \(moved.stderr)")
        } catch {
            _ = try? await CLI.run(["cluster", "down", "--state", state])
            throw error
        }
        let down = try await CLI.run(["cluster", "down", "--state", state])
        #expect(down.status == 0, "\(down.stderr)")
    }

    /// A TLS file that cannot be read is one clear error, and nothing starts.
    @Test func anUnreadableTLSFileIsOneClearErrorAndNothingStarts() async throws {
        let directory = CLI.scratch + "maintctl-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.makeCertificates(in: directory)
        let files = "{ ca_file: \(directory)/ca.crt, cert_file: \(directory)/missing.crt, key_file: \(directory)/server.key }"
        let inventory = try Self.writeInventory(in: directory, tls: files)
        let state = directory + "/state"
        let up = try await CLI.run(["cluster", "up", inventory, "--backend", "process", "--state", state])
        #expect(up.status != 0)
        #expect(up.stderr.contains("missing.crt") && !up.stderr.contains("Fatal error"), "\(up.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state + "/state.json"))
    }
}
