import RedisWire

/// The cache's routing table as the endpoint last read it: which shard serves each hash slot,
/// and where each shard's primary listens.
public struct SlotMap: Sendable, Equatable {
    /// One shard: its primary and the slots it serves.
    public struct Shard: Sendable, Equatable {
        public var primary: ServerAddress
        public var replicas: [ServerAddress]
        /// Inclusive slot ranges.
        public var slots: [ClosedRange<Int>]

        public init(primary: ServerAddress, replicas: [ServerAddress] = [], slots: [ClosedRange<Int>]) {
            self.primary = primary
            self.replicas = replicas
            self.slots = slots
        }
    }

    /// The shards, ordered by their first slot (so a shard's index survives its failover).
    public let shards: [Shard]
    /// The index in `shards` of the shard serving each slot; `unserved` where none does.
    let owner: [UInt16]

    static let unserved = UInt16.max

    /// A map of `shards`; later shards win a slot claimed twice.
    public init(shards: [Shard]) {
        let sorted = shards.filter { !$0.slots.isEmpty }.sorted { ($0.slots.map(\.lowerBound).min() ?? 0) < ($1.slots.map(\.lowerBound).min() ?? 0) }
        var owner = [UInt16](repeating: Self.unserved, count: 16384)
        for (index, shard) in sorted.enumerated() {
            for range in shard.slots where range.lowerBound >= 0 && range.upperBound < 16384 {
                for slot in range { owner[slot] = UInt16(index) }
            }
        }
        self.shards = sorted
        self.owner = owner
    }

    /// The index of the shard serving `slot`, nil when no shard does.
    public func shardIndex(ofSlot slot: Int) -> Int? {
        let index = owner[slot]
        return index == Self.unserved ? nil : Int(index)
    }

    /// How many slots a shard serves.
    public var servedSlots: Int { owner.lazy.filter { $0 != Self.unserved }.count }

    /// Whether every slot is served.
    public var coversAllSlots: Bool { !owner.contains(Self.unserved) }

    /// Every server of the cache: primaries, then replicas.
    public var servers: [ServerAddress] { shards.map(\.primary) + shards.flatMap(\.replicas) }
}
