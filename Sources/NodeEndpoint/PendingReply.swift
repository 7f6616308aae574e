import NIOCore

/// What a server's next reply on one connection is for.
struct PendingReply {
    enum Destination {
        /// The client's reply number `sequence`.
        case client(ClientSession, sequence: Int)
        /// Part `index` of a command split across shards.
        case part(Gather, index: Int)
        /// A page of `SCAN` on shard `shard`: its cursor is rewritten to name the shard.
        case scan(ClientSession, sequence: Int, shard: Int)
        /// `RANDOMKEY` asked of shard `shard`, the `tried`-th shard asked.
        case randomKey(ClientSession, sequence: Int, shard: Int, tried: Int)
        /// The connection's own set-up (`HELLO 3`, `AUTH`): an error closes it.
        case handshake
        /// A reply nobody needs (`ASKING`'s `+OK`, the `DISCARD` of an aborted transaction).
        case discard
    }

    /// What a redirection (`-MOVED`, `-ASK`) in the reply means.
    enum Redirects {
        /// Send the request again where the server says, up to `redirectLimit` times.
        case follow
        /// The client's transaction is pinned to one shard: another shard's key is a `CROSSSLOT` error.
        case crossSlot
        /// Pass the reply on as it is.
        case pass
    }

    var destination: Destination
    /// The request, to send again after a redirection.
    var request: ByteBuffer?
    var redirects: Redirects
    var redirectCount: Int = 0

    static let redirectLimit = 5

    /// The client the reply is for, when one is.
    var session: ClientSession? {
        switch destination {
        case let .client(session, _), let .scan(session, _, _), let .randomKey(session, _, _, _): session
        case let .part(gather, _): gather.session
        case .handshake, .discard: nil
        }
    }

    init(_ destination: Destination, request: ByteBuffer? = nil, redirects: Redirects = .pass) {
        self.destination = destination
        self.request = request
        self.redirects = redirects
    }
}
