/// A benchmark whose subject misbehaved: rejected input, a failed rollout, a wrong count.
struct BenchmarkFailure: Error, CustomStringConvertible {
    /// What went wrong, for the FAIL line.
    var description: String

    init(_ description: String) { self.description = description }
}
