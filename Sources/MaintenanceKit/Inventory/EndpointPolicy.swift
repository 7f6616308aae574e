/// How a cache's node endpoints carry clients through maintenance (inventory `endpoints:`).
public struct EndpointPolicy: Sendable, Codable, Hashable {
    /// How long the endpoints hold a shard's requests while it fails over; past it the held
    /// requests are answered `-TRYAGAIN` and the failover counts as failed.
    public var holdLimitMilliseconds: Int
    /// How long the endpoint of a node that leaves keeps serving after telling its clients
    /// `MOVING`; `delete_vms` waits for it (less when every client has left).
    public var movingGraceSeconds: Int
    /// How long a primary must be silent before the endpoints fail it over (with a quorum of
    /// them agreeing), with no maintctl running.
    public var downAfterMilliseconds: Int

    public static let standard = EndpointPolicy(holdLimitMilliseconds: 5_000, movingGraceSeconds: 15, downAfterMilliseconds: 800)

    public init(holdLimitMilliseconds: Int, movingGraceSeconds: Int, downAfterMilliseconds: Int = 800) {
        self.holdLimitMilliseconds = holdLimitMilliseconds
        self.movingGraceSeconds = movingGraceSeconds
        self.downAfterMilliseconds = downAfterMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case holdLimitMilliseconds = "hold_limit_ms", movingGraceSeconds = "moving_grace_seconds", downAfterMilliseconds = "down_after_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        holdLimitMilliseconds = try container.decodeIfPresent(Int.self, forKey: .holdLimitMilliseconds) ?? Self.standard.holdLimitMilliseconds
        movingGraceSeconds = try container.decodeIfPresent(Int.self, forKey: .movingGraceSeconds) ?? Self.standard.movingGraceSeconds
        downAfterMilliseconds = try container.decodeIfPresent(Int.self, forKey: .downAfterMilliseconds) ?? Self.standard.downAfterMilliseconds
    }

    /// What is wrong with the values, nil when nothing is.
    var problem: String? {
        if !(100...60_000).contains(holdLimitMilliseconds) { return "hold_limit_ms must be 100 to 60000 (a held client waits that long at most)" }
        if !(0...3_600).contains(movingGraceSeconds) { return "moving_grace_seconds must be 0 to 3600" }
        if !(300...600_000).contains(downAfterMilliseconds) { return "down_after_ms must be 300 to 600000 (shorter would fail over a server that is only slow)" }
        return nil
    }
}
