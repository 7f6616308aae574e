import NIOCore
import RedisWire

/// Where one command goes.
enum CommandRoute {
    /// The endpoint answers it (or keeps it for a transaction or a subscription).
    case session
    /// To the primary of the shard serving `slot`.
    case slot(Int)
    /// To any one primary: the command names no key.
    case anyShard
    /// To the primary of `slot`, on a connection of its own: the server may hold the reply back.
    case blocking(slot: Int?)
    /// Split by slot, sent in parallel, the replies merged.
    case split(SplitCommand)
    /// To every primary, the replies merged.
    case everyShard(ShardMerge)
    /// `WAIT`: on every shard the client wrote to, once its earlier replies are in.
    case wait
    /// Refused with this error; the connection stays open.
    case refused(String)

    /// Commands the session itself answers or keeps.
    static let sessionCommands: Set<CommandName> = [
        "PING", "ECHO", "HELLO", "AUTH", "SELECT", "CLIENT", "INFO", "QUIT", "RESET",
        "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
        "READONLY", "READWRITE", "SCAN", "RANDOMKEY", "MAINTCTL.HEALTH", "MAINTCTL.RELOAD",
    ]

    /// Why the endpoint refuses a command that acts on one server rather than on the cache.
    static let refusals: [CommandName: String] = [
        "CLUSTER": "cluster administration is maintctl's",
        "CONFIG": "it would change one server, not the cache",
        "DEBUG": "it acts on one server",
        "SHUTDOWN": "servers are stopped by maintctl",
        "MONITOR": "it would watch one server, not the cache",
        "SELECT": "only database 0 exists in a cluster",
        "MIGRATE": "keys move between shards through maintctl",
        "REPLICAOF": "replication is maintctl's", "SLAVEOF": "replication is maintctl's",
        "FAILOVER": "failovers are maintctl's", "SYNC": "replication is maintctl's", "PSYNC": "replication is maintctl's",
        "SAVE": "it acts on one server", "BGSAVE": "it acts on one server", "BGREWRITEAOF": "it acts on one server",
        "MOVE": "only database 0 exists in a cluster", "SWAPDB": "only database 0 exists in a cluster",
        "ACL": "users are configured by maintctl", "MODULE": "it acts on one server",
    ]

    /// Commands routed by name rather than by the servers' table.
    private enum Special {
        case session
        case split(SplitCommand)
        case everyShard(ShardMerge)
        case anyShard
        /// `PUBLISH`, `SPUBLISH`: by the channel's slot.
        case channel
        case script
        case wait
        case refused(String)
    }

    /// Every command with a route of its own: one lookup per command.
    private static let specials: [CommandName: Special] = {
        var specials: [CommandName: Special] = [
            "MGET": .split(.mget), "MSET": .split(.mset),
            "DEL": .split(.count), "UNLINK": .split(.count), "EXISTS": .split(.count), "TOUCH": .split(.count),
            "FLUSHALL": .everyShard(.allOK), "FLUSHDB": .everyShard(.allOK), "DBSIZE": .everyShard(.sum), "KEYS": .everyShard(.concatenate),
            "TIME": .anyShard, "COMMAND": .anyShard, "LASTSAVE": .anyShard,
            "PUBLISH": .channel, "SPUBLISH": .channel, "SCRIPT": .script, "WAIT": .wait,
        ]
        for (name, reason) in refusals { specials[name] = .refused("ERR '\(name)' is not supported by the node endpoint: \(reason)") }
        for name in sessionCommands { specials[name] = .session }
        return specials
    }()

    /// The route of `request` by the servers' `table`.
    static func of(_ request: ClientRequest, name: CommandName, table: CommandTable) -> CommandRoute {
        if let special = specials[name] {
            switch special {
            case .session: return .session
            case let .split(command): return .split(command)
            case let .everyShard(merge): return .everyShard(merge)
            case .anyShard: return .anyShard
            case .channel:
                // Published messages reach every node of a cluster; spread them by channel.
                return request.arguments.count > 1 ? .slot(slot(of: request.arguments[1])) : .anyShard
            case .script:
                switch request.arguments.count > 1 ? CommandName(request.arguments[1]) : "" {
                case "LOAD", "FLUSH": return .everyShard(.first)
                case "EXISTS": return .everyShard(.all)
                default: return .refused("ERR 'SCRIPT \(request.text(1) ?? "")' is not supported by the node endpoint")
                }
            case .wait:
                return .wait
            case let .refused(message): return .refused(message)
            }
        }
        guard let spec = table.spec(of: request, name: name) else {
            return .refused(unknownCommand(request))
        }
        let keyIndex = spec.movableKeys ? Self.movableKeyIndex(of: request, name: name, firstKey: spec.firstKey) : (spec.firstKey > 0 ? spec.firstKey : nil)
        let blocking = spec.blocking && (!spec.movableKeys || (name != "XREAD" && name != "XREADGROUP") || request.hasOption("BLOCK"))
        guard let keyIndex, keyIndex < request.arguments.count else {
            if blocking { return .blocking(slot: nil) }
            if keyIndex == nil, !keylessForwarded.contains(name) {
                return .refused("ERR '\(name)' is not supported by the node endpoint: it names no key, so no one shard answers for the cache")
            }
            // Too few arguments for its key: any server answers with the arity error.
            return .anyShard
        }
        let slot = slot(of: request.arguments[keyIndex])
        return blocking ? .blocking(slot: slot) : .slot(slot)
    }

    /// Keyless commands any one server answers for the cache (their replies do not depend on the shard).
    static let keylessForwarded: Set<CommandName> = ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO", "LOLWUT"]

    /// The index of the first key of a command whose keys' places depend on its arguments.
    private static func movableKeyIndex(of request: ClientRequest, name: CommandName, firstKey: Int) -> Int? {
        switch name {
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            return (request.integer(2) ?? 0) > 0 ? 3 : nil
        case "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD", "SINTERCARD", "LMPOP", "ZMPOP":
            return 2
        case "BLMPOP", "BZMPOP":
            return 3
        case "XREAD", "XREADGROUP":
            return request.arguments.firstIndex { CommandName($0) == "STREAMS" }.map { $0 + 1 }
        default:
            // Movable keys after a first key at a fixed place (ZUNIONSTORE's destination, SORT's key).
            return firstKey > 0 ? firstKey : nil
        }
    }

    /// Redis' own answer to a command it does not know.
    static func unknownCommand(_ request: ClientRequest) -> String {
        let name = String((request.text(0) ?? "").prefix(128))
        let arguments = request.arguments.dropFirst().prefix(16).map { "'\(String(String(decoding: $0.readableBytesView, as: UTF8.self).prefix(128)))' " }.joined()
        return "ERR unknown command '\(name)', with args beginning with: \(arguments)"
    }

    static func slot(of key: ByteBuffer) -> Int {
        key.withUnsafeReadableBytes { HashSlot.slot(ofKey: $0) }
    }
}

extension ClientRequest {
    /// Whether an argument after the name is `option`, in any case.
    func hasOption(_ option: String) -> Bool {
        let option = CommandName(option)
        return arguments.dropFirst().contains { CommandName($0) == option }
    }
}
