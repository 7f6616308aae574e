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
        /// Subcommands by name, for container commands (`OBJECT`, `XINFO`).
        var subcommands: [CommandName: Spec]
    }

    private let specs: [CommandName: Spec]

    /// The table of a `COMMAND` reply.
    public init(commandReply: RESPValue) {
        var specs: [CommandName: Spec] = [:]
        for entry in commandReply.elements ?? [] {
            if let (name, spec) = Self.spec(entry) { specs[name] = spec }
        }
        self.specs = specs
    }

    /// How many commands the table knows.
    public var count: Int { specs.count }

    /// The spec of `request`'s command, or of its subcommand when it has subcommands.
    func spec(of request: ClientRequest, name: CommandName) -> Spec? {
        guard let spec = specs[name] else { return nil }
        if !spec.subcommands.isEmpty, request.arguments.count > 1, let child = spec.subcommands[CommandName(request.arguments[1])] {
            return child
        }
        return spec
    }

    private static func spec(_ entry: RESPValue) -> (CommandName, Spec)? {
        guard let fields = entry.elements, fields.count >= 6, let rawName = fields[0].string,
              let firstKey = fields[3].integer else { return nil }
        let flags = Set((fields[2].elements ?? []).compactMap { $0.string?.lowercased() })
        var subcommands: [CommandName: Spec] = [:]
        if fields.count >= 10 {
            for child in fields[9].elements ?? [] {
                // Subcommands are named "object|encoding".
                if let childName = child.elements?.first?.string, let bar = childName.firstIndex(of: "|"), let (_, childSpec) = spec(child) {
                    subcommands[CommandName(String(childName[childName.index(after: bar)...]))] = childSpec
                }
            }
        }
        let spec = Spec(firstKey: Int(firstKey), movableKeys: flags.contains("movablekeys"),
                        blocking: flags.contains("blocking"), subcommands: subcommands)
        return (CommandName(rawName), spec)
    }
}
