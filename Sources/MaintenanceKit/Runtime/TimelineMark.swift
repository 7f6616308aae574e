/// Something that happened to a cache at one moment of its rollout, kept with its outcome for
/// the report's timeline: a fault, a node declared down, a wait for a maintenance window.
public struct TimelineMark: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable {
        case faultInjected = "fault_injected"
        case faultNotInjected = "fault_not_injected"
        case nodeDown = "node_down"
        /// The cache began to wait for a maintenance window.
        case paused
        /// The window opened.
        case resumed
    }

    public var kind: Kind
    /// When, on the rollout's clock.
    public var atMS: Int64
    /// The node it hit, when it hit one.
    public var node: String?
    /// What happened, for people.
    public var detail: String

    public init(_ kind: Kind, at: Duration, node: String? = nil, detail: String) {
        self.kind = kind
        atMS = at.milliseconds
        self.node = node
        self.detail = detail
    }

    /// The mark an event leaves on its cache's timeline, if it leaves one.
    static func of(_ event: RolloutEvent) -> (cache: String, mark: TimelineMark)? {
        switch event {
        case let .faultInjected(cache, fault, node, at):
            (cache, TimelineMark(.faultInjected, at: at, node: node, detail: "\(fault)"))
        case let .faultNotInjected(cache, fault, reason, at):
            (cache, TimelineMark(.faultNotInjected, at: at, detail: "\(fault): \(reason)"))
        case let .unplannedFailure(cache, failure, at):
            (cache, TimelineMark(.nodeDown, at: at, node: failure.node, detail: failure.summary))
        case let .paused(cache, at, _, reason):
            (cache, TimelineMark(.paused, at: at, detail: reason))
        case let .resumed(cache, at):
            (cache, TimelineMark(.resumed, at: at, detail: "the maintenance window opened"))
        default:
            nil
        }
    }
}
