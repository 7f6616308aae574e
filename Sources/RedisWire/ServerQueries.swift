/// What one Redis server says about itself: the `key:value` lines of an `INFO` section.
public struct ReplicationInfo: Sendable {
    public var fields: [String: String]

    /// Parses the `INFO replication` text (`key:value` lines).
    public init(_ text: String) {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        self.fields = fields
    }

    public var isPrimary: Bool { fields["role"] == "master" }
    public var linkUp: Bool { fields["master_link_status"] == "up" && fields["master_sync_in_progress"] != "1" }
    /// The primary's offset, or what a replica has received.
    public var offset: Int64 { Int64(fields[isPrimary ? "master_repl_offset" : "slave_repl_offset"] ?? "") ?? -1 }
    public var primaryPort: Int? { fields["master_port"].flatMap { Int($0) } }
}

extension RedisConnection {
    /// The value of one `INFO` field (e.g. `used_memory_dataset`).
    public func infoField(_ section: String, _ field: String) async throws -> String? {
        ReplicationInfo(try await command("INFO", section).string ?? "").fields[field]
    }

    /// `CLUSTER INFO` `cluster_state`.
    public func clusterStateOK() async throws -> Bool {
        (try await command("CLUSTER", "INFO").string ?? "").contains("cluster_state:ok")
    }

    /// `CLUSTER INFO` `cluster_current_epoch`: the highest config epoch this server has heard of.
    public func currentEpoch(timeout: Duration = .seconds(5)) async throws -> Int? {
        ReplicationInfo(try await command("CLUSTER", "INFO", timeout: timeout).string ?? "").fields["cluster_current_epoch"].flatMap { Int($0) }
    }

    /// The Redis node ids this server knows (from `CLUSTER NODES`).
    public func knownNodeIDs() async throws -> Set<String> {
        let text = try await command("CLUSTER", "NODES").string ?? ""
        return Set(text.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: " ").first.map(String.init) })
    }
}
