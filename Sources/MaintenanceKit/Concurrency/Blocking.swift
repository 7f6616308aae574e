import Dispatch
import Foundation

/// Runs blocking work (a synchronous disk commit, `waitpid`, a read of `/proc`) on a thread of
/// its own, so that the cooperative pool, which also runs the failure detector's heartbeats,
/// never waits behind it.
public enum Blocking {
    private static let queue = DispatchQueue(label: "maintctl.blocking", qos: .userInitiated, attributes: .concurrent)

    /// Runs `body` off the cooperative pool and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Marks the calling thread as one of maintctl's own (a simulation's executor), never a
    /// thread of the cooperative pool: blocking work may run on it directly.
    public static func markCurrentThreadDedicated() {
        Thread.current.threadDictionary[dedicatedKey] = true
    }

    /// Whether the calling thread is one of maintctl's own, where blocking work may run directly
    /// rather than hop to another thread and back.
    public static var mayBlockHere: Bool {
        Thread.current.threadDictionary[dedicatedKey] as? Bool ?? false
    }

    private static let dedicatedKey = "maintctl.dedicated-thread"
}
