import ArgumentParser
import ContainerBackend
import Logging
import ProcessBackend
import SSHBackend

/// `--state DIR`: the live cluster a command acts on.
struct LiveClusterOptions: ParsableArguments {
    @Option(help: "State directory given to 'cluster up'.")
    var state: String

    /// Attaches to the cluster, or prints why it cannot and fails with the invalid-input code.
    /// Servers whose pause should be over (its maintctl died) run again.
    /// - Parameters:
    ///   - checkingPassword: Whether the servers must take the password the state names now
    ///     (taking a cluster down needs none: it stops its servers by pid too).
    ///   - command: The command that changes the cluster (`cluster down`), which holds it
    ///     against other maintctl processes from now on; nil for one that only reads it.
    /// - Throws: `Exit.refused` when another maintctl changes the cluster.
    func open(checkingPassword: Bool = true, changingFor command: String? = nil) async throws -> ProcessBackend {
        let backend: ProcessBackend
        do {
            backend = try ProcessBackend(directory: state, logger: Logger(label: "maintctl"), attach: Self.attach, changingFor: command)
        } catch {
            throw BackendRefusal.exitCode(after: error)
        }
        await backend.resumeOverduePauses()
        if checkingPassword {
            do {
                try await backend.checkPassword()
            } catch {
                Output.error("maintctl: \(error)")
                throw Exit.invalidInput
            }
        }
        return backend
    }

    /// Opens the host a cluster's state records, whichever backend made it.
    private static func attach(_ record: HostRecord, directory: String) throws -> any ServerHost {
        record.kind == SSHHost.descriptor.id ? try SSHBackend.attach(record, directory: directory)
            : try ContainerBackend.attach(record, directory: directory)
    }
}
