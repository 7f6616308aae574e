import Foundation
import MaintenanceKit

#if canImport(Glibc)
import Glibc
#endif

/// Hands a secret to a process that starts, without putting it on its command line: a file
/// only this user can read, named by the command line, removed as soon as the process has
/// read it (a server reads its configuration at start, the endpoint its password file).
enum SecretHandoff {
    /// Writes `contents` to a new file in `directory`, mode 0600, and returns its path.
    /// - Throws: `BackendError` when it cannot be written.
    static func write(_ contents: String, in directory: String) throws -> String {
        let path = directory + "/.secret-\(UInt64.random(in: .min ... .max))"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw BackendError(.stateWriteFailed, "cannot write a secret file in \(directory)") }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else {
            unlink(path)
            throw BackendError(.stateWriteFailed, "cannot write a secret file in \(directory)")
        }
        return path
    }

    /// Removes the file; also those a crash of maintctl left in `directory`.
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes every secret file a crash of maintctl left under `directory`.
    static func removeLeftovers(under directory: String) {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return }
        for case let relative as String in walker where (relative as NSString).lastPathComponent.hasPrefix(".secret-") {
            unlink(directory + "/" + relative)
        }
    }

    /// Redis' configuration lines that make a server require `password` and use it towards its primary.
    static func serverConfiguration(_ password: String) -> String {
        let quoted = "\"" + password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r") + "\""
        return "requirepass \(quoted)\nmasterauth \(quoted)\n"
    }
}
