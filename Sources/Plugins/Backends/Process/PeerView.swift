/// What one server's `CLUSTER NODES` says of another:
/// `<id> <ip:port@bus> <flags> <primary> <ping-sent> <pong-recv> <epoch> <link-state> <slot>…`
struct PeerView: Sendable {
    var id: String
    var flags: Set<Substring>
    /// Wall-clock milliseconds of the ping still unanswered, 0 when none is.
    var pingSent: Int64
    var linkConnected: Bool

    init?(line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count >= 8, let pingSent = Int64(fields[4]) else { return nil }
        id = String(fields[0])
        flags = Set(fields[2].split(separator: ","))
        self.pingSent = pingSent
        linkConnected = fields[7] == "connected"
    }

    /// Whether the server that wrote this line cannot reach the node: it is flagged failing,
    /// the bus link to it is down, or a ping to it has waited `afterMS` or more.
    func cannotReach(nowMS: Int64, afterMS: Int64) -> Bool {
        guard !flags.contains("myself") else { return false }
        return flags.contains("fail?") || flags.contains("fail") || !linkConnected
            || (pingSent > 0 && nowMS - pingSent >= afterMS)
    }
}
