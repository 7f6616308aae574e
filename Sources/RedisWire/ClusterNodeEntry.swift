/// One line of `CLUSTER NODES`: a server of the cluster as the server asked sees it.
///
/// `<id> <ip:port@cport[,hostname]> <flags> <primary-id|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>…`
public struct ClusterNodeEntry: Sendable, Hashable {
    /// The Redis Cluster node id (40 hex characters).
    public var id: String
    /// The address it announces (empty for a node without one: flag `noaddr`).
    public var host: String
    public var port: Int
    public var busPort: Int
    /// `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, `nofailover`…
    public var flags: Set<String>
    /// The id of the primary it replicates; nil for a primary.
    public var primaryID: String?
    /// The slot ranges it serves (a primary's), in the order listed.
    public var slots: [ClosedRange<Int>]
    /// Whether a slot of it is being migrated or imported (`[slot->-id]`, `[slot-<-id]`).
    public var movesSlots: Bool

    public var isPrimary: Bool { flags.contains("master") }
    /// Whether the cluster considers it failing, unknown or without an address.
    public var isUnhealthy: Bool { !flags.isDisjoint(with: ["fail", "fail?", "handshake", "noaddr"]) }

    /// Parses one line; nil for a line that is not a node's.
    public init?(line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 8 else { return nil }
        id = String(fields[0])
        // ip:port@cport[,hostname]
        let address = fields[1].split(separator: ",", maxSplits: 1).first ?? ""
        let parts = address.split(separator: "@", maxSplits: 1)
        guard let hostPort = parts.first, let colon = hostPort.lastIndex(of: ":"),
              let port = Int(hostPort[hostPort.index(after: colon)...]) else { return nil }
        host = String(hostPort[..<colon])
        self.port = port
        busPort = parts.count == 2 ? Int(parts[1]) ?? port + 10000 : port + 10000
        flags = Set(fields[2].split(separator: ",").map(String.init))
        primaryID = fields[3] == "-" ? nil : String(fields[3])
        var slots: [ClosedRange<Int>] = []
        var movesSlots = false
        for field in fields.dropFirst(8) {
            if field.hasPrefix("[") {
                movesSlots = true
                continue
            }
            let bounds = field.split(separator: "-", maxSplits: 1).compactMap { Int($0) }
            guard let first = bounds.first, let last = bounds.last, first <= last else { return nil }
            slots.append(first...last)
        }
        self.slots = slots
        self.movesSlots = movesSlots
    }

    /// Every node of a `CLUSTER NODES` reply.
    public static func parse(_ text: String) -> [ClusterNodeEntry] {
        text.split(whereSeparator: \.isNewline).compactMap { ClusterNodeEntry(line: $0) }
    }
}
