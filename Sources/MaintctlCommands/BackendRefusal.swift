import ArgumentParser
import MaintenanceKit
import ProcessBackend

/// Says why a command could not have its backend, and with which exit code it ends.
enum BackendRefusal {
    /// Prints `error` after `prefix`.
    /// - Returns: `Exit.refused` when another maintctl changes the live cluster (nothing was
    ///   done; try again once it is over), else `Exit.invalidInput`.
    static func exitCode(after error: any Error, prefix: String = "maintctl: ") -> ExitCode {
        Output.error(prefix + "\(error)")
        return (error as? BackendError)?.code == .clusterBusy ? Exit.refused : Exit.invalidInput
    }
}
