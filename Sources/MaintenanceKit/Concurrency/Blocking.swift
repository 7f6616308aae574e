import Dispatch

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

    /// Runs `body`, which cannot fail, off the cooperative pool.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
