import Foundation
import MaintenanceKit
import ProcessBackend

/// Runs commands on one host with the system's OpenSSH client, over one connection: the first
/// command opens a master connection (`ControlMaster`) that the next ones share, so a command
/// costs no handshake. Never prompts (`BatchMode`), and never accepts a host key that
/// `known_hosts` does not hold (`StrictHostKeyChecking`).
///
/// A command is an argv array: each argument reaches the remote shell as one word
/// (``ShellWord``). Secrets go on the command's standard input, never in its arguments.
public struct SecureShell: Sendable {
    /// The host and how to log in.
    public let destination: SSHDestination
    /// Where the master connection's socket is: a directory of maintctl's own, short enough
    /// for a unix socket's path.
    public let controlDirectory: String
    /// The `ssh` to run, with anything that must come before its options (a wrapper).
    public let program: [String]
    /// Extra `-o` options in `ssh_config` form (`UserKnownHostsFile=…`), before the defaults.
    public let options: [String]
    /// How long the master connection outlives its last command when nobody closes it (a
    /// maintctl that died): then it ends by itself.
    public static let persistence = 60

    /// - Parameters:
    ///   - destination: The host and how to log in.
    ///   - controlDirectory: Where the master connection's socket goes (at most 60 bytes).
    ///   - program: The `ssh` client, and what comes before its options (a wrapper).
    ///   - options: `ssh_config` options (`Name=value`) that come before maintctl's own.
    public init(destination: SSHDestination, controlDirectory: String, program: [String] = ["ssh"], options: [String] = []) {
        self.destination = destination
        self.controlDirectory = controlDirectory
        self.program = program
        self.options = options
    }

    /// What a remote command wrote.
    public struct Output: Sendable {
        public var stdout: Data
        public var stderr: Data

        /// The standard output as text.
        public var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `argv` on the host and returns what it wrote.
    /// - Parameters:
    ///   - argv: The remote command and its arguments.
    ///   - input: What the command reads on its standard input (a secret goes here).
    ///   - timeout: How long it may take, connecting included.
    /// - Throws: `BackendError`: `ssh-host-key-rejected`, `ssh-authentication-failed`,
    ///   `ssh-unreachable`, `ssh-failed` when the command did not run (or not in time);
    ///   `remote-command-failed` when it ran and failed; `unsafe-remote-value` when an
    ///   argument cannot be passed.
    @discardableResult
    public func run(_ argv: [String], input: Data = Data(), timeout: Duration = .seconds(30)) async throws -> Output {
        let command = try ShellWord.commandLine(argv)
        let outcome = try await ChildProcess.run(invocation(["-T", "--", destination.host, command]), input: input, timeout: timeout)
        if outcome.timedOut {
            throw BackendError(.sshFailed, "\(describe(argv)) on \(destination.host) did not end within \(timeout)")
        }
        guard outcome.status == 0 else { throw failure(of: argv, outcome) }
        return Output(stdout: outcome.stdout, stderr: outcome.stderr)
    }

    /// Whether a master connection to the host is open now.
    public func isConnected() async -> Bool {
        let outcome = try? await ChildProcess.run(invocation(["-O", "check", destination.host]), timeout: .seconds(10))
        return outcome?.status == 0
    }

    /// Forwards the unix socket `local` of this machine to the unix socket `remote` on the host
    /// over the master connection (opened first when none is): a connection to `local`
    /// reaches `remote`, with no handshake. Asking again for a forward the master has is fine.
    /// - Throws: `BackendError` (`ssh-failed`) when the master does not forward.
    public func forward(local: String, remote: String) async throws {
        guard !local.contains(":"), !remote.contains(":") else {
            throw BackendError(.unsafeRemoteValue, "cannot forward a unix socket whose path holds ':' (\(local), \(remote))")
        }
        if !(await isConnected()) { try await run(["true"], timeout: .seconds(20)) }
        let outcome = try await ChildProcess.run(invocation(["-O", "forward", "-L", "\(local):\(remote)", destination.host]), timeout: .seconds(10))
        guard outcome.status == 0 else {
            throw BackendError(.sshFailed, "the SSH connection to \(destination.host) did not forward \(local) to its \(remote): \(outcome.errorText.suffix(600))")
        }
    }

    /// Closes the master connection, if one is open.
    public func close() async {
        _ = try? await ChildProcess.run(invocation(["-O", "exit", destination.host]), timeout: .seconds(10))
    }

    /// The whole `ssh` command line before its last arguments.
    private func invocation(_ tail: [String]) -> [String] {
        var argv = program
        for option in options { argv += ["-o", option] }
        argv += [
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=\(controlDirectory)/%C",
            "-o", "ControlPersist=\(Self.persistence)",
            "-o", "ConnectTimeout=10",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            // A forwarded socket left by an earlier master is replaced, not refused.
            "-o", "StreamLocalBindUnlink=yes",
        ]
        if let user = destination.user { argv += ["-l", user] }
        if let port = destination.port { argv += ["-p", String(port)] }
        if let identity = destination.identityFile { argv += ["-i", identity, "-o", "IdentitiesOnly=yes"] }
        return argv + tail
    }

    /// The error for a command that did not succeed: `ssh`'s own failures exit 255.
    private func failure(of argv: [String], _ outcome: ChildProcess.Outcome) -> BackendError {
        let said = outcome.errorText
        let host = destination.host
        guard outcome.status == 255 else {
            return BackendError(.remoteCommandFailed, "\(describe(argv)) on \(host) exited with status \(outcome.status)\(said.isEmpty ? "" : ": \(said.suffix(2000))")")
        }
        if said.contains("Host key verification failed") || said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || said.contains("No ED25519 host key is known")
            || said.contains("host key is known") {
            return BackendError(.sshHostKeyRejected, "\(host)'s SSH host key is not the one known_hosts holds for it (or it holds none); "
                                + "maintctl never accepts a host key by itself: check the key and add it (ssh-keyscan \(host) >> ~/.ssh/known_hosts) — ssh said: \(said.suffix(600))")
        }
        if said.contains("Permission denied") {
            return BackendError(.sshAuthenticationFailed, "\(host) refused maintctl's SSH keys\(destination.user.map { " for user \($0)" } ?? ""): \(said.suffix(600))")
        }
        if ["Connection refused", "timed out", "No route to host", "Could not resolve", "Network is unreachable", "Connection closed"].contains(where: said.contains) {
            return BackendError(.sshUnreachable, "cannot reach \(host) over SSH: \(said.suffix(600))")
        }
        return BackendError(.sshFailed, "ssh to \(host) failed (status 255)\(said.isEmpty ? "" : ": \(said.suffix(600))")")
    }

    /// A remote command for messages: its program and how many arguments, never their values
    /// (they may be paths a user finds long, or values that should not be in logs).
    private func describe(_ argv: [String]) -> String {
        "'\(argv.first ?? "")'\(argv.count > 1 ? " (\(argv.count - 1) arguments)" : "")"
    }
}
