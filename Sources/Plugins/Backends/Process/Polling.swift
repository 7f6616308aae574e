import MaintenanceKit

/// Waiting for a condition of a live cluster to hold.
enum Polling {
    /// Polls `condition` every `interval` until it holds or `limit` passes. An error other
    /// than a `BackendError` counts as "not yet"; a `BackendError` says waiting is pointless
    /// and is thrown at once.
    /// - Parameters:
    ///   - what: What is awaited, for the error.
    ///   - limit: How long to wait.
    ///   - interval: The pause between two polls.
    ///   - condition: Runs on the caller's actor.
    /// - Throws: `BackendError` naming what was awaited when the time runs out, or the condition's.
    static func waitUntil(_ what: String, limit: Duration, interval: Duration = .milliseconds(10),
                          isolation: isolated (any Actor)? = #isolation,
                          _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if try await condition() { return }
            } catch let error as BackendError {
                throw error // the condition says waiting is pointless
            } catch {
                lastError = error
            }
            try await Task.sleep(for: interval)
        }
        throw BackendError(.timeout, "timed out after \(limit) waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
    }
}
