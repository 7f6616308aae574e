import Foundation
import MaintenanceKit
import RedisWire

#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops a node's endpoint, `maintctl-proxy`, as a daemon like the servers: it
/// outlives maintctl, and is stopped by its pid after checking the pid is still that endpoint.
public enum EndpointProcess {
    /// The endpoint's control socket in its node's directory.
    public static func controlSocket(in directory: String) -> String { directory + "/endpoint.sock" }
    /// The endpoint's log in its node's directory.
    public static func logFile(in directory: String) -> String { directory + "/endpoint.log" }
    /// The pid file of a daemonized endpoint in its node's directory.
    public static func pidFile(in directory: String) -> String { directory + "/endpoint.pid" }

    /// Where `maintctl-proxy` is: `MAINTCTL_PROXY`, else next to the running executable (where
    /// `swift build` puts it beside `maintctl`), else on PATH.
    /// - Throws: `BackendError` saying how to get one.
    public static func locate() throws -> String {
        if let given = ProcessInfo.processInfo.environment["MAINTCTL_PROXY"], !given.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: given) else {
                throw BackendError(.missingProgram, "MAINTCTL_PROXY names '\(given)', which is not an executable file")
            }
            return given
        }
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let beside = URL(fileURLWithPath: running).deletingLastPathComponent().path + "/maintctl-proxy"
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/maintctl-proxy") {
            return "\(directory)/maintctl-proxy"
        }
        throw BackendError(.missingProgram, "maintctl-proxy, the node endpoint, was found neither next to \(running) nor on PATH; "
                           + "build it (swift build --product maintctl-proxy) or set MAINTCTL_PROXY to its path")
    }

    /// Starts an endpoint on `port` of the node's address for the cache whose servers are
    /// `seeds`, and returns its pid on the node's machine once it answers.
    /// - Parameters:
    ///   - host: Where the node runs its processes.
    ///   - node: The node, and the address its endpoint listens on.
    ///   - binary: The `maintctl-proxy` executable of this machine.
    ///   - adopted: Ports of the node's address it took over from endpoints of nodes that left, served too.
    ///   - directory: The node's directory: its control socket, pid file and log go there.
    ///   - tls: The cache's TLS files on the node's machine; nil for plain TCP.
    ///   - health: The other nodes' endpoints (`host:port`), whether this one coordinates
    ///     failovers, and after how long silent.
    /// - Throws: `BackendError` with the end of its log when it does not come up.
    static func start(on host: any ServerHost, node: NodeLocation, binary: String, port: Int, adopted: [Int], seeds: [ServerAddress], directory: String,
                      password: String?, tls: TLSFiles?, health: (peers: [String], leader: Bool, downAfterMilliseconds: Int)) async throws -> pid_t {
        // The password reaches the endpoint in a file, removed once it serves: never on its command line.
        var secret: String?
        if let password { secret = try await host.writeSecret(password, in: directory, on: node) }
        let listen = HostedEndpoint(node: node, pid: 0, port: port).listen
        let address = node.address ?? RedisConnection.loopback
        var arguments: [String] = ["--listen", listen, "--control", controlSocket(in: directory)]
        for adoptedPort in adopted { arguments += ["--also-listen", "\(address):\(adoptedPort)"] }
        for peer in health.peers { arguments += ["--peer", peer] }
        if health.leader { arguments.append("--leader") }
        arguments += ["--down-after-ms", String(health.downAfterMilliseconds)]
        for seed in seeds { arguments += ["--seed", "\(seed.host):\(seed.port)"] }
        if let secret { arguments += ["--password-file", secret] }
        if let tls { arguments += ["--tls-ca-file", tls.caFile, "--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile] }
        let pid: pid_t
        do {
            pid = try await host.startEndpoint(on: node, binary: binary, arguments: arguments, directory: directory)
        } catch {
            if let secret { await host.remove(secret, on: node) }
            throw error
        }
        let started = HostedEndpoint(node: node, pid: pid, port: port)
        // Ready once its control socket answers: it reads the slot map, then listens, then opens
        // the socket; and only this endpoint has the socket (whoever else might answer on the port).
        let launched = ContinuousClock.now
        let deadline = launched + .seconds(15)
        var why = "it did not say it was ready within 15 s"
        var unseen = 0
        while ContinuousClock.now < deadline {
            if let socket = try? await host.controlSocket(endpointIn: directory, of: node, renew: false),
               let answer = try? await control(["STATUS"], controlSocket: socket, timeout: .seconds(1)),
               let text = answer.string, text.contains("\"listen\":\"\(listen)\""), text.contains("\"ready\":true") {
                if let secret { await host.remove(secret, on: node) }
                return pid
            }
            // Seen gone twice, 20 ms apart, and not in its first second: one look at a machine
            // under load can miss it, and a process a container engine started may not yet be
            // the endpoint (it runs the engine's own start-up until it executes the binary).
            unseen = await host.endpointsRunning([started]) == [true] ? 0 : unseen + 1
            if unseen >= 2, ContinuousClock.now - launched >= .seconds(1) {
                why = "its process \(pid) ended"
                break
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                // Cancelled (maintctl is stopping): the endpoint is stopped below, not left behind.
                why = "its start was cancelled"
                break
            }
        }
        if let secret { await host.remove(secret, on: node) }
        let log = await host.tail(of: logFile(in: directory), on: node)
        await host.stopEndpoint(started, grace: .seconds(3))
        // Whatever else serves this node's control socket goes too: a retry on another port
        // must not leave two endpoints for one node.
        await host.stopEndpoints(under: directory, on: [node])
        throw BackendError(.endpointStartFailed, "the endpoint on \(listen) did not come up (\(why)); its log ends: \(log)")
    }

    /// Starts `binary` with `arguments` as a daemon of this machine (`--daemonize`: it outlives
    /// maintctl) and returns its pid, read from its pid file.
    /// - Throws: `BackendError` when it cannot be started.
    public static func daemonize(binary: String, arguments: [String], directory: String) async throws -> pid_t {
        let (pidFile, logFile) = (Self.pidFile(in: directory), Self.logFile(in: directory))
        try? FileManager.default.removeItem(atPath: pidFile)
        let status = try await RedisServerProcess.launch(binary, arguments: ["--daemonize", "--pid-file", pidFile, "--log-file", logFile] + arguments)
        guard status == 0, let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BackendError(.endpointStartFailed, "\(binary) did not start (status \(status)): \(tail(of: logFile))")
        }
        return pid
    }

    /// Stops the endpoint `pid` of this machine if it is still the one listening on `listen`:
    /// SIGTERM, then SIGKILL after `grace` (at once for zero).
    static func stop(pid: pid_t, listen: String, grace: Duration) async {
        guard isOurs(pid: pid, listen: listen) else { return }
        if grace > .zero {
            kill(pid, SIGTERM)
            let deadline = ContinuousClock.now + grace
            while ContinuousClock.now < deadline {
                if !RedisServerProcess.isAlive(pid) { return }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        kill(pid, SIGKILL)
        for _ in 0..<250 where RedisServerProcess.isAlive(pid) { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Whether `pid` is a live `maintctl-proxy` of this machine listening on `listen`
    /// (`ADDRESS:PORT`; guards against a reused pid).
    public static func isOurs(pid: pid_t, listen: String) -> Bool {
        guard pid > 0, RedisServerProcess.isAlive(pid),
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard isEndpoint(arguments), let index = arguments.firstIndex(of: "--listen"), index + 1 < arguments.count else { return false }
        return arguments[index + 1] == listen
    }

    /// Stops every endpoint whose control socket lies under `root`, recorded or not (one whose
    /// start a crash of maintctl cut short).
    static func stopAll(under root: String) async {
        let root = URL(fileURLWithPath: root).standardizedFileURL.path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap({ pid_t($0) }) {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard isEndpoint(arguments),
                  let control = arguments.firstIndex(of: "--control").map({ $0 + 1 }), control < arguments.count,
                  arguments[control].hasPrefix(root + "/") else { continue }
            kill(pid, SIGTERM)
            for _ in 0..<150 where RedisServerProcess.isAlive(pid) { try? await Task.sleep(for: .milliseconds(20)) }
            if RedisServerProcess.isAlive(pid) { kill(pid, SIGKILL) }
        }
    }

    /// Sends `command` to the endpoint behind `controlSocket` (see the endpoint's `ControlChannel`)
    /// and returns its answer, an error reply included.
    /// - Throws: `RedisError` when it does not answer in time.
    static func control(_ command: [String], controlSocket: String, timeout: Duration = .seconds(2)) async throws -> RESPValue {
        let connection = try await RedisConnection.connect(unixSocket: controlSocket, timeout: min(timeout, .milliseconds(500)))
        return try await ask(command, over: connection, timeout: timeout)
    }

    /// Sends `command` over a connection to an endpoint's control socket, closes it, and
    /// returns the answer.
    /// - Throws: `RedisError` when it does not answer in time.
    public static func ask(_ command: [String], over connection: RedisConnection, timeout: Duration) async throws -> RESPValue {
        do {
            let answer = try await connection.send(command, timeout: timeout)
            await connection.close()
            return answer
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Whether a command line runs `maintctl-proxy` (directly, or through a dynamic loader in a container).
    private static func isEndpoint(_ arguments: [String]) -> Bool {
        arguments.prefix(4).contains { $0.hasSuffix("/maintctl-proxy") || $0 == "maintctl-proxy" }
    }

    static func tail(of logFile: String) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(5).joined(separator: " | ")
        return lines.isEmpty ? "its log \(logFile) is empty" : lines
    }
}
