import RedisWire

/// A shard the probe writes to: its name and a hash tag whose slot the shard owns, so every
/// probe key `probe:{tag}:N` lands on that shard.
public struct ProbeTarget: Sendable, Hashable {
    public var name: String
    public var hashTag: String

    public init(name: String, hashTag: String) {
        self.name = name
        self.hashTag = hashTag
    }

    /// The slot of every key of this target.
    var slot: Int { HashSlot.slot(of: "{\(hashTag)}") }

    func key(_ sequence: Int) -> String { "probe:{\(hashTag)}:\(sequence)" }

    /// A target for a shard owning `slots`: the first tag `p0`, `p1`, … whose slot is in the range.
    public static func owning(_ slots: ClosedRange<Int>, name: String) -> ProbeTarget? {
        for index in 0..<1_000_000 {
            let tag = "p\(index)"
            if slots.contains(HashSlot.slot(of: tag)) { return ProbeTarget(name: name, hashTag: tag) }
        }
        return nil
    }
}
