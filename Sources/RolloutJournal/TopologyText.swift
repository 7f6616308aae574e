import MaintenanceKit

/// A cache topology as compact lines of tab-separated fields: the journal stores one after
/// every action, so it must be quick to write (JSON through Codable costs ~10× more here).
///
///     cache   ID  GROUP  REGION  LEADER|-  MIN_REPLICAS
///     node    ID  VERSION  LIFECYCLE  MEMORY_MB  CPUS
///     shard   ID  SIZE_MB  NODE:p|r:1|0,NODE:p|r:1|0,…
///
/// Fields are percent-escaped where they hold a separator.
enum TopologyText {
    static func encode(_ topology: CacheTopology) -> String {
        var text = "cache\t\(escape(topology.id))\t\(escape(topology.placement.resourceGroup))\t\(escape(topology.placement.region))"
            + "\t\(topology.leader.map(escape) ?? "-")\t\(topology.minReplicas)\n"
        for node in topology.nodes {
            text += "node\t\(escape(node.id))\t\(escape(node.version))\t\(node.lifecycle.rawValue)\t\(node.capacity.memoryMB)\t\(node.capacity.cpus)\n"
        }
        for shard in topology.shards {
            let copies = shard.copies.map { "\(escape($0.node)):\($0.role == .primary ? "p" : "r"):\($0.inSync ? 1 : 0)" }
            text += "shard\t\(escape(shard.id))\t\(shard.sizeMB)\t\(copies.joined(separator: ","))\n"
        }
        return text
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: Substring
        var description: String { "a recorded topology is malformed near '\(line.prefix(60))'" }
    }

    static func decode(_ text: String) throws -> CacheTopology {
        var topology: CacheTopology?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            switch (fields.first, fields.count) {
            case ("cache", 6):
                guard let minimum = Int(fields[5]) else { throw Malformed(line: line) }
                topology = CacheTopology(id: unescape(fields[1]), placement: Placement(resourceGroup: unescape(fields[2]), region: unescape(fields[3])),
                                         leader: fields[4] == "-" ? nil : unescape(fields[4]), minReplicas: minimum, nodes: [], shards: [])
            case ("node", 6):
                guard topology != nil, let lifecycle = NodeLifecycle(rawValue: String(fields[3])),
                      let memory = Double(fields[4]), let cpus = Double(fields[5]) else { throw Malformed(line: line) }
                topology?.nodes.append(NodeState(id: unescape(fields[1]), version: unescape(fields[2]),
                                                 capacity: Capacity(memoryMB: memory, cpus: cpus), lifecycle: lifecycle))
            case ("shard", 4):
                guard topology != nil, let size = Double(fields[2]) else { throw Malformed(line: line) }
                var copies: [ShardCopy] = []
                for copy in fields[3].split(separator: ",") {
                    let parts = copy.split(separator: ":")
                    guard parts.count == 3, ["p", "r"].contains(parts[1]), ["0", "1"].contains(parts[2]) else { throw Malformed(line: line) }
                    copies.append(ShardCopy(node: unescape(parts[0]), role: parts[1] == "p" ? .primary : .replica, inSync: parts[2] == "1"))
                }
                topology?.shards.append(ShardState(id: unescape(fields[1]), sizeMB: size, copies: copies))
            default:
                throw Malformed(line: line)
            }
        }
        guard let topology else { throw Malformed(line: Substring(text)) }
        return topology
    }

    private static let separators: Set<Character> = ["\t", "\n", ":", ",", "%", "\r"]

    private static func escape(_ text: String) -> String {
        guard text.contains(where: separators.contains) || text == "-" else { return text }
        var escaped = ""
        for character in text {
            if separators.contains(character) || (text == "-" && character == "-") {
                for byte in String(character).utf8 { escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2) }
            } else {
                escaped.append(character)
            }
        }
        return escaped
    }

    private static func unescape(_ field: Substring) -> String {
        guard field.contains("%") else { return String(field) }
        var bytes: [UInt8] = []
        var index = field.startIndex
        while index < field.endIndex {
            if field[index] == "%", let end = field.index(index, offsetBy: 3, limitedBy: field.endIndex),
               let byte = UInt8(field[field.index(after: index)..<end], radix: 16) {
                bytes.append(byte)
                index = end
            } else {
                bytes.append(contentsOf: String(field[index]).utf8)
                index = field.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
