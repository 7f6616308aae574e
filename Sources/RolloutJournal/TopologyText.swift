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
        var text = ""
        text.reserveCapacity(64 + topology.nodes.count * 48 + topology.shards.count * 64)
        text += "cache\t"
        text += escape(topology.id)
        text += "\t"
        text += escape(topology.placement.resourceGroup)
        text += "\t"
        text += escape(topology.placement.region)
        text += "\t"
        text += topology.leader.map(escape) ?? "-"
        text += "\t"
        text += String(topology.minReplicas)
        text += "\n"
        for node in topology.nodes {
            text += "node\t"
            text += escape(node.id)
            text += "\t"
            text += escape(node.version)
            text += "\t"
            text += node.lifecycle.rawValue
            text += "\t"
            text += node.capacity.memoryMB.description
            text += "\t"
            text += node.capacity.cpus.description
            text += "\n"
        }
        for shard in topology.shards {
            text += "shard\t"
            text += escape(shard.id)
            text += "\t"
            text += shard.sizeMB.description
            text += "\t"
            for (index, copy) in shard.copies.enumerated() {
                if index > 0 { text += "," }
                text += escape(copy.node)
                text += copy.role == .primary ? ":p" : ":r"
                text += copy.inSync ? ":1" : ":0"
            }
            text += "\n"
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

    /// Whether `byte` separates fields, copies or their parts, or starts an escape.
    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x3A || byte == 0x2C || byte == 0x25 // \t \n \r : , %
    }

    private static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: isSeparator) || text == "-" else { return text }
        var escaped: [UInt8] = []
        for byte in text.utf8 {
            if isSeparator(byte) || (text == "-" && byte == 0x2D) {
                escaped += Array(("%" + String(byte, radix: 16, uppercase: true).leftPadded(2)).utf8)
            } else {
                escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
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
