/// A journal that cannot be used, with the path and what to do.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// The journal file.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
