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
    /// What it is about (`shard s1`, `shard s1 on n2`, `leader`), when a check knows it.
    public var subject: String?
    /// The step whose action broke it, when known.
    public var step: String?
    /// Where that step was written.
    public var location: SourceLocation?

    /// Creates a violation of invariant `number`.
    /// - Parameter subject: What it is about, so that the same breach found twice (with other
    ///   numbers in its message) is known as one.
    public init(_ number: Int, cache: String, about subject: String? = nil, _ message: String) {
        self.invariant = number
        self.name = Invariants.names[number] ?? "invariant \(number)"
        self.cache = cache
        self.subject = subject
        self.message = message
    }

    /// Which breach this is: the invariant, the cache and the subject (or the message, for a
    /// violation that names no subject).
    public struct Identity: Sendable, Hashable {
        public var invariant: Int
        public var cache: String
        public var subject: String
    }

    /// Which breach this is, to tell a breach seen before from a new one.
    public var identity: Identity { Identity(invariant: invariant, cache: cache, subject: subject ?? message) }

    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let cause = step.map { " (step '\($0)')" } ?? ""
        return "\(place)invariant \(invariant) (\(name)) violated in cache '\(cache)'\(cause): \(message)"
    }
}
