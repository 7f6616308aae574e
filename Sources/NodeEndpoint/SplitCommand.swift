import NIOCore

/// A multi-key command the endpoint splits by slot, as twemproxy and Redis Enterprise do.
enum SplitCommand {
    /// `MGET`: the values, in the order of the keys.
    case mget
    /// `MSET`: `+OK` once every part is written.
    case mset
    /// `DEL`, `UNLINK`, `EXISTS`, `TOUCH`: the sum of the parts' counts.
    case count

    /// How many arguments each key takes (MSET: key and value).
    var stride: Int { self == .mset ? 2 : 1 }

    /// The parts of `request`: one command per slot, with the positions of its keys among the request's keys.
    func parts(of request: ClientRequest, allocator: ByteBufferAllocator) -> [(slot: Int, request: ClientRequest, positions: [Int])] {
        let name = request.arguments[0]
        var order: [Int] = []
        var bySlot: [Int: (arguments: [ByteBuffer], positions: [Int])] = [:]
        var position = 0
        var index = 1
        while index + stride <= request.arguments.count {
            let slot = CommandRoute.slot(of: request.arguments[index])
            if bySlot[slot] == nil {
                order.append(slot)
                bySlot[slot] = ([name], [])
            }
            bySlot[slot]!.arguments.append(contentsOf: request.arguments[index..<(index + stride)])
            bySlot[slot]!.positions.append(position)
            position += 1
            index += stride
        }
        return order.map { slot in
            let part = bySlot[slot]!
            return (slot, ClientRequest(arguments: part.arguments, allocator: allocator), part.positions)
        }
    }

    /// Whether the request has the arguments the command needs; otherwise a server answers its arity error.
    func isWellFormed(_ request: ClientRequest) -> Bool {
        request.arguments.count > 1 && (request.arguments.count - 1) % stride == 0
    }
}

/// How the replies of every shard become one.
enum ShardMerge {
    /// The first error, else the first shard's reply (`FLUSHALL`, `SCRIPT LOAD`).
    case first
    /// The first error, else `+OK`.
    case allOK
    /// The sum of the integers (`DBSIZE`).
    case sum
    /// The arrays one after the other (`KEYS`).
    case concatenate
    /// 1 where every shard says 1 (`SCRIPT EXISTS`).
    case all
}
