import RedisWire

extension Worker {
    /// The most keys tried for one in a shard's slots: a shard of one slot is found within
    /// about 16,384 tries on average.
    static let waitMarkTries = 400_000

    /// A key in a slot of shard `index` of the map, for `WAIT`'s mark
    /// (`ClientSession.waitMarkPrefix` and a hash tag); nil when none is found.
    func waitMarkKey(forShard index: Int) -> String? {
        if let key = waitMarks[index] { return key }
        guard let map else { return nil }
        for number in 0..<Self.waitMarkTries {
            let key = "\(ClientSession.waitMarkPrefix){\(number)}"
            if map.shardIndex(ofSlot: HashSlot.slot(of: key)) == index {
                waitMarks[index] = key
                return key
            }
        }
        return nil
    }
}
