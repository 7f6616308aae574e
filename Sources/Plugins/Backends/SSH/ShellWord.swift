import MaintenanceKit

/// The one place where values become text for a remote POSIX shell: each argument becomes one
/// word the shell takes as it is, whatever it holds (spaces, quotes, `$(…)`, `;`, `*`, `~`,
/// newlines), by single quotes with each `'` written as `'"'"'`.
public enum ShellWord {
    /// Characters a word may hold bare: the shell gives none of them a meaning (`=` is left
    /// out: `A=1` first on a line is an assignment, not a command).
    private static let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+./:,@%")

    /// `value` as one shell word.
    /// - Throws: `BackendError` with code `unsafe-remote-value` for a NUL byte, which no
    ///   argument can carry.
    public static func quote(_ value: String) throws -> String {
        guard !value.utf8.contains(0) else {
            throw BackendError(.unsafeRemoteValue, "a value for a remote command holds a NUL byte, which no command argument can carry")
        }
        if !value.isEmpty, value.allSatisfy(plain.contains) { return value }
        return "'" + value.replacing("'", with: #"'"'"'"#) + "'"
    }

    /// `argv` as one command line for a remote shell: each element one word.
    /// - Throws: `BackendError` with code `unsafe-remote-value` (see ``quote(_:)``).
    public static func commandLine(_ argv: [String]) throws -> String {
        try argv.map(quote).joined(separator: " ")
    }
}
