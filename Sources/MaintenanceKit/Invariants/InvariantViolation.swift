/// A broken rule of DESIGN.md's invariants, with where and why.
public struct InvariantViolation: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    /// The invariant's number in DESIGN.md (1–8).
    public var invariant: Int
    /// Its short name.
    public var name: String
    /// The cache it happened in.
    public var cache: String
    /// What happened.
    public var message: String
    /// The step whose action broke it, when known.
    public var step: String?
    /// Where that step was written.
    public var location: SourceLocation?

    /// Creates a violation of invariant `number`.
    public init(_ number: Int, cache: String, _ message: String) {
        self.invariant = number
        self.name = Invariants.names[number] ?? "invariant \(number)"
        self.cache = cache
        self.message = message
    }

    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let cause = step.map { " (step '\($0)')" } ?? ""
        return "\(place)invariant \(invariant) (\(name)) violated in cache '\(cache)'\(cause): \(message)"
    }
}
