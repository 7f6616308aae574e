import RedisWire

/// What the cache's servers say of each command (`COMMAND`): where its keys are and whether it
/// blocks. The endpoint reads it from a server, so commands of a newer server route without a
/// new endpoint.
public struct CommandTable: Sendable {
    /// One command, or one subcommand (`OBJECT|ENCODING`).
    struct Spec: Sendable {
        /// The index of the first key in the arguments (the name is 0); 0 when the command has
        /// no key at a fixed place.
        var firstKey: Int
        /// Whether the keys' places depend on the arguments (`EVAL`'s numkeys, `XREAD`'s STREAMS).
        var movableKeys: Bool
        /// Whether the server may hold the reply back (`BLPOP`).
        var blocking: Bool
        /// Subcommands by upper-case name, for container commands (`OBJECT`, `XINFO`).
        var subcommands: [String: Spec]
    }

    private let specs: [String: Spec]

    /// The table of a `COMMAND` reply.
    public init(commandReply: RESPValue) {
        var specs: [String: Spec] = [:]
        for entry in commandReply.elements ?? [] {
            if let (name, spec) = Self.spec(entry) { specs[name] = spec }
        }
        self.specs = specs
    }

    /// How many commands the table knows.
    public var count: Int { specs.count }

    /// The spec of `name` (upper case), or of its subcommand `sub` when it has subcommands.
    func spec(_ name: String, sub: String?) -> Spec? {
        guard let spec = specs[name] else { return nil }
        if !spec.subcommands.isEmpty, let sub, let child = spec.subcommands[sub.uppercased()] { return child }
        return spec
    }

    private static func spec(_ entry: RESPValue) -> (String, Spec)? {
        guard let fields = entry.elements, fields.count >= 6, let rawName = fields[0].string,
              let firstKey = fields[3].integer else { return nil }
        let flags = Set((fields[2].elements ?? []).compactMap { $0.string?.lowercased() })
        var subcommands: [String: Spec] = [:]
        if fields.count >= 10 {
            for child in fields[9].elements ?? [] {
                // Subcommands are named "object|encoding".
                if let (childName, childSpec) = spec(child), let bar = childName.firstIndex(of: "|") {
                    subcommands[String(childName[childName.index(after: bar)...])] = childSpec
                }
            }
        }
        let spec = Spec(firstKey: Int(firstKey), movableKeys: flags.contains("movablekeys"),
                        blocking: flags.contains("blocking"), subcommands: subcommands)
        return (rawName.uppercased(), spec)
    }
}
