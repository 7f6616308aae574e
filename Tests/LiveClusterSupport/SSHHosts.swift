import Foundation
import MaintenanceKit
import ProcessBackend
import SSHBackend

#if canImport(Glibc)
import Glibc
#endif

/// Hosts of a test's own, reached over real SSH: a network namespace per host with an `sshd`
/// on its address, all joined by veth pairs to a bridge in another namespace, and a
/// controller namespace where maintctl's `ssh` (and any client) runs, so nothing is routed
/// from the machine's own namespace. The addresses (10.77.0.0/24) exist only inside these
/// namespaces. Host keys and the client's key are made for the run; `known_hosts` holds the
/// hosts' keys. Everything is torn down by ``with(hosts:_:)``, also after a failed test.
///
/// The hosts share this machine's files, so root's login shell would read this machine's
/// `~/.bashrc` on every SSH session (Debian's bash does for sshd): on a developer's machine that
/// may cost 100 ms of CPU each (`pyenv init`). Their sshd sets `SHLVL=1`, which makes bash skip
/// it, as a fresh host's shell would start in a few milliseconds.
public struct SSHHosts: Sendable {
    /// The hosts, in order: `10.77.0.11`, `10.77.0.12`, …
    public let destinations: [SSHDestination]
    /// The namespace maintctl and clients run in.
    public let controller: String
    /// The hosts' namespaces, in order.
    public let namespaces: [String]
    /// The fixture's files: keys, `known_hosts`, each `sshd`'s configuration and log.
    public let directory: String

    /// The `known_hosts` that holds every host's key.
    public var knownHosts: String { directory + "/known_hosts" }
    /// The client's private key, authorized on every host.
    public var identityFile: String { directory + "/client_key" }
    /// Where master connections' sockets go.
    public var controlDirectory: String { directory + "/cm" }

    /// Whether hosts can be made here: root, with `ip`, `sshd`, `ssh` and `ssh-keygen`
    /// (scripts/test installs iproute2 and openssh-server).
    public static var isAvailable: Bool {
        getuid() == 0 && ["/usr/sbin/ip", "/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The address of host `index` (from 0).
    public static func address(_ index: Int) -> String { "10.77.0.\(11 + index)" }

    /// The `ssh` of the controller namespace, reading no user configuration.
    public var sshProgram: [String] { ["/usr/sbin/ip", "netns", "exec", controller, "/usr/bin/ssh", "-F", "/dev/null"] }

    /// A shell to host `index`, trusting only the fixture's `known_hosts`.
    public func shell(_ index: Int, knownHosts: String? = nil) -> SecureShell {
        SecureShell(destination: destinations[index], controlDirectory: controlDirectory, program: sshProgram,
                    options: ["UserKnownHostsFile=\(knownHosts ?? self.knownHosts)", "GlobalKnownHostsFile=/dev/null"])
    }

    /// What host `index`'s `sshd` logged.
    public func sshdLog(_ index: Int) -> String {
        (try? String(contentsOfFile: "\(directory)/h\(index)/sshd.log", encoding: .utf8)) ?? ""
    }

    /// Runs `argv` in the controller namespace.
    public func runInController(_ argv: [String], timeout: Duration = .seconds(30)) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(["/usr/sbin/ip", "netns", "exec", controller] + argv, timeout: timeout)
    }

    /// Hosts a whole suite shares: set around the suite (see `SharedSSHHosts` in the tests),
    /// ``with(hosts:_:)`` hands them to each test instead of making its own.
    @TaskLocal public static var shared: SSHHosts?

    /// Makes `hosts` hosts, runs `body`, and tears everything down whatever happens; with
    /// ``shared`` hosts (enough of them), runs `body` on those.
    public static func with<T>(hosts: Int, _ body: (SSHHosts) async throws -> T) async throws -> T {
        if let shared, shared.namespaces.count >= hosts { return try await body(shared) }
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        let directory = "/tmp/mssh-\(tag)"
        let fixture = SSHHosts(
            destinations: (0..<hosts).map { SSHDestination(host: address($0), user: "root", identityFile: directory + "/client_key") },
            controller: "mssh-\(tag)-c", namespaces: (0..<hosts).map { "mssh-\(tag)-h\($0)" }, directory: directory)
        do {
            try await fixture.make()
            let result = try await body(fixture)
            await fixture.tearDown()
            return result
        } catch {
            await fixture.tearDown()
            throw error
        }
    }

    private var bridge: String { controller.dropLast(2) + "-b" }

    private func make() async throws {
        try FileManager.default.createDirectory(atPath: controlDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try await must(["/usr/sbin/ip", "netns", "add", bridge])
        try await must(["/usr/sbin/ip", "netns", "exec", bridge, "/usr/sbin/ip", "link", "add", "br0", "type", "bridge"])
        try await must(["/usr/sbin/ip", "netns", "exec", bridge, "/usr/sbin/ip", "link", "set", "br0", "up"])
        for (number, namespace) in ([controller] + namespaces).enumerated() {
            let address = number == 0 ? "10.77.0.2" : Self.address(number - 1)
            try await must(["/usr/sbin/ip", "netns", "add", namespace])
            try await must(["/usr/sbin/ip", "link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", "p\(number)", "netns", bridge])
            try await must(["/usr/sbin/ip", "netns", "exec", bridge, "/usr/sbin/ip", "link", "set", "p\(number)", "master", "br0", "up"])
            for command in [["addr", "add", "\(address)/24", "dev", "eth0"], ["link", "set", "eth0", "up"], ["link", "set", "lo", "up"]] {
                try await must(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/ip"] + command)
            }
        }
        try await must(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "maintctl-test", "-f", identityFile])
        try FileManager.default.copyItem(atPath: identityFile + ".pub", toPath: directory + "/authorized_keys")
        var knownHosts = ""
        for (index, namespace) in namespaces.enumerated() {
            let hostDirectory = "\(directory)/h\(index)"
            try FileManager.default.createDirectory(atPath: hostDirectory, withIntermediateDirectories: true)
            try await must(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostDirectory + "/host_key"])
            let publicKey = try String(contentsOfFile: hostDirectory + "/host_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
            knownHosts += "\(Self.address(index)) \(publicKey)\n"
            try """
            ListenAddress \(Self.address(index))
            HostKey \(hostDirectory)/host_key
            PidFile \(hostDirectory)/sshd.pid
            AuthorizedKeysFile \(directory)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            LogLevel VERBOSE
            MaxStartups 100
            MaxSessions 100
            SetEnv SHLVL=1
            """.write(toFile: hostDirectory + "/sshd_config", atomically: true, encoding: .utf8)
            try await must(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/sshd", "-f", hostDirectory + "/sshd_config", "-E", hostDirectory + "/sshd.log"])
        }
        try knownHosts.write(toFile: self.knownHosts, atomically: true, encoding: .utf8)
        for index in namespaces.indices {
            var listening = false
            for _ in 0..<100 where !listening {
                let sockets = try await ChildProcess.run(["/usr/sbin/ip", "netns", "exec", namespaces[index], "/usr/bin/ss", "-Hltn"], timeout: .seconds(5))
                listening = String(decoding: sockets.stdout, as: UTF8.self).contains("\(Self.address(index)):22 ")
                if !listening { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard listening else { throw FixtureError("sshd of \(Self.address(index)) does not listen: \(sshdLog(index))") }
        }
    }

    /// Stops every process in the fixture's namespaces by its pid, removes them and the files.
    private func tearDown() async {
        for index in destinations.indices { await shell(index).close() }
        for namespace in [controller] + namespaces + [bridge] {
            for signal in [SIGTERM, SIGKILL] {
                let listed = try? await ChildProcess.run(["/usr/sbin/ip", "netns", "pids", namespace], timeout: .seconds(10))
                let pids = String(decoding: listed?.stdout ?? Data(), as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
                if pids.isEmpty { break }
                for pid in pids { kill(pid, signal) }
                for _ in 0..<50 where pids.contains(where: { kill($0, 0) == 0 }) { try? await Task.sleep(for: .milliseconds(20)) }
            }
            _ = try? await ChildProcess.run(["/usr/sbin/ip", "netns", "del", namespace], timeout: .seconds(10))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func must(_ argv: [String]) async throws {
        let outcome = try await ChildProcess.run(argv, timeout: .seconds(30))
        guard outcome.status == 0 else { throw FixtureError("\(argv.joined(separator: " ")): status \(outcome.status): \(outcome.errorText)") }
    }
}

/// A fixture that could not be made.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
