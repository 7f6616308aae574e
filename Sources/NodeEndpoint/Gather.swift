import NIOCore

/// Collects the replies to the parts of one client command sent to several shards, and gives
/// the client one reply once all have come.
final class Gather {
    enum Merge {
        case split(SplitCommand, positions: [[Int]], keys: Int)
        case shards(ShardMerge)
        /// The replies of every shard, made one by the session that asked.
        case custom(([ByteBuffer]) -> ByteBuffer)
    }

    private let merge: Merge
    private var parts: [ByteBuffer?]
    private var missing: Int
    let session: ClientSession
    private let sequence: Int

    init(merge: Merge, parts: Int, session: ClientSession, sequence: Int) {
        self.merge = merge
        self.parts = Array(repeating: nil, count: parts)
        self.missing = parts
        self.session = session
        self.sequence = sequence
    }

    /// Part `index` has its reply; the last one completes the client's.
    func complete(_ index: Int, with frame: ByteBuffer) {
        guard parts[index] == nil else { return }
        parts[index] = frame
        missing -= 1
        if missing == 0 { session.complete(sequence, with: merged()) }
    }

    private func merged() -> ByteBuffer {
        let frames = parts.map { $0! }
        if let error = frames.first(where: ReplyFrameScanner.isError) { return error }
        let allocator = session.allocator
        switch merge {
        case let .custom(combine):
            return combine(frames)
        case let .split(.mget, positions, keys):
            var values = [ByteBuffer?](repeating: nil, count: keys)
            for (part, frame) in frames.enumerated() {
                guard let elements = ReplyFrameScanner.elements(of: frame), elements.count == positions[part].count else {
                    return LocalReply.error("ERR a shard answered MGET with something other than its values", allocator: allocator)
                }
                for (element, position) in zip(elements, positions[part]) { values[position] = element }
            }
            var reply = LocalReply(allocator: allocator, resp3: false, capacity: values.reduce(16) { $0 + ($1?.readableBytes ?? 0) })
            reply.arrayHeader(keys)
            for value in values { reply.append(value!) }
            return reply.buffer
        case .split(.mset, _, _), .shards(.allOK):
            return LocalReply.simple("OK", allocator: allocator)
        case .split(.count, _, _), .shards(.sum):
            return LocalReply.integer(frames.reduce(0) { $0 + (ReplyFrameScanner.integer(of: $1) ?? 0) }, allocator: allocator)
        case .shards(.first):
            return frames[0]
        case .shards(.concatenate):
            let lists = frames.map { ReplyFrameScanner.elements(of: $0) ?? [] }
            var reply = LocalReply(allocator: allocator, resp3: false, capacity: frames.reduce(16) { $0 + $1.readableBytes })
            reply.arrayHeader(lists.reduce(0) { $0 + $1.count })
            for element in lists.joined() { reply.append(element) }
            return reply.buffer
        case .shards(.all):
            let lists = frames.map { (ReplyFrameScanner.elements(of: $0) ?? []).map { ReplyFrameScanner.integer(of: $0) ?? 0 } }
            let count = lists.map(\.count).min() ?? 0
            var reply = LocalReply(allocator: allocator, resp3: false)
            reply.arrayHeader(count)
            for index in 0..<count { reply.integer(lists.allSatisfy { $0[index] == 1 } ? 1 : 0) }
            return reply.buffer
        }
    }
}
