import Foundation
import LiveClusterSupport
import MaintenanceKit
import ProcessBackend
import SSHBackend
import Testing

/// The OpenSSH client against real `sshd`s on hosts of the test's own (network namespaces).
@Suite(.serialized, .enabled(if: SSHHosts.isAvailable, "needs root, iproute2 and openssh-server (scripts/test installs them)"))
struct SecureShellTests {
    /// Values cross to the remote shell as they are, and none of them runs anything there.
    @Test func hostileValuesReachTheRemoteCommandAsTheyAre() async throws {
        let canary = "/tmp/maintctl-pwned"
        try? FileManager.default.removeItem(atPath: canary)
        try await SSHHosts.with(hosts: 1) { hosts in
            let output = try await hosts.shell(0).run(["printf", "%s\\0"] + hostileValues)
            let words = output.stdout.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
            #expect(words == hostileValues)
            // A secret goes on standard input, and comes back whole.
            let secret = Data("s3cr3t 'with' $(quotes)\n".utf8)
            #expect(try await hosts.shell(0).run(["cat"], input: secret).stdout == secret)
        }
        #expect(!FileManager.default.fileExists(atPath: canary), "a value ran a command on the host")
    }

    /// Thirty commands to a host cost one SSH connection: the master connection carries them,
    /// and closing it leaves no `ssh` running.
    @Test func commandsShareOneConnectionPerHost() async throws {
        try await SSHHosts.with(hosts: 2) { hosts in
            for round in 0..<30 {
                let output = try await hosts.shell(round % 2).run(["hostname", "-I"])
                #expect(output.text.contains(SSHHosts.address(round % 2)), "\(output.text)")
            }
            for index in 0..<2 {
                let accepted = hosts.sshdLog(index).components(separatedBy: "Accepted publickey").count - 1
                #expect(accepted == 1, "host \(index) accepted \(accepted) connections: \(hosts.sshdLog(index))")
                #expect(await hosts.shell(index).isConnected())
                await hosts.shell(index).close()
                #expect(await !hosts.shell(index).isConnected())
            }
            // A master told to exit answers first and ends a moment later: given 5 s, bounded.
            var left = try await ChildProcess.run(["/usr/sbin/ip", "netns", "pids", hosts.controller], timeout: .seconds(10))
            for _ in 0..<50 where !left.stdout.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                left = try await ChildProcess.run(["/usr/sbin/ip", "netns", "pids", hosts.controller], timeout: .seconds(10))
            }
            #expect(left.stdout.isEmpty, "processes left in the controller's namespace: \(String(decoding: left.stdout, as: UTF8.self))")
        }
    }

    /// A host whose key `known_hosts` does not hold is refused before anything runs there, and
    /// the error says so.
    @Test func anUnknownHostKeyIsRefusedAndNothingRuns() async throws {
        let canary = "/tmp/maintctl-ran-\(UUID().uuidString)"
        try await SSHHosts.with(hosts: 1) { hosts in
            let empty = hosts.directory + "/empty_known_hosts"
            try "".write(toFile: empty, atomically: true, encoding: .utf8)
            do {
                try await hosts.shell(0, knownHosts: empty).run(["touch", canary])
                Issue.record("a host with an unknown key was accepted")
            } catch let error as BackendError {
                #expect(error.code == .sshHostKeyRejected, "\(error)")
                #expect(error.description.contains("known_hosts"), "\(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: canary))
        }
    }

    /// A command that fails says how, with its status and what it wrote on standard error;
    /// a host nobody answers at is unreachable.
    @Test func failuresAreNamed() async throws {
        try await SSHHosts.with(hosts: 1) { hosts in
            do {
                try await hosts.shell(0).run(["sh", "-c", "echo oops >&2; exit 3"])
                Issue.record("a failing command succeeded")
            } catch let error as BackendError {
                #expect(error.code == .remoteCommandFailed && error.description.contains("status 3") && error.description.contains("oops"), "\(error)")
            }
            let nobody = SecureShell(destination: SSHDestination(host: "10.77.0.99", user: "root", identityFile: hosts.identityFile),
                                     controlDirectory: hosts.controlDirectory, program: hosts.sshProgram,
                                     options: ["UserKnownHostsFile=\(hosts.knownHosts)", "ConnectTimeout=1"])
            do {
                try await nobody.run(["true"], timeout: .seconds(20))
                Issue.record("a host nobody answers at ran a command")
            } catch let error as BackendError {
                #expect(error.code == .sshUnreachable, "\(error)")
            }
        }
    }
}
