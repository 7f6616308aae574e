/// Reads and checks an inventory file.
public enum InventoryLoader {
    /// Loads the inventory at `path`.
    /// - Throws: `DiagnosticsError` with every problem: unreadable file, YAML or type errors,
    ///   unknown keys, duplicate ids, references to nodes a cache lacks, copies of one shard
    ///   on one node, too few replicas.
    public static func load(path: String) throws(DiagnosticsError) -> Inventory {
        try load(SourceFile(contentsOf: path))
    }

    /// Loads an inventory from a source already in memory.
    public static func load(_ source: SourceFile) throws(DiagnosticsError) -> Inventory {
        let root = try ConfigNode.parse(source)
        let (inventory, problems) = ConfigDecoder.decode(Inventory.self, from: root, context: "inventory")
        guard let inventory, problems.isEmpty else { throw DiagnosticsError(problems) }
        let consistency = check(inventory, root: root)
        guard consistency.isEmpty else { throw DiagnosticsError(consistency) }
        return inventory
    }

    /// The problems of an inventory that decoded: ids, references and placement.
    static func check(_ inventory: Inventory, root: ConfigNode) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        func report(_ path: [ConfigPathComponent], _ message: String, _ code: DiagnosticCode = .inconsistentInventory) {
            problems.append(Diagnostic(code, at: root.location(at: path), message))
        }
        if inventory.caches.isEmpty { report(["caches"], "the inventory lists no caches") }
        var cacheIDs = Set<String>(), nodeIDs = Set<String>()
        for (c, cache) in inventory.caches.enumerated() {
            let at: [ConfigPathComponent] = ["caches", .index(c)]
            if !isIdentifier(cache.id) { report(at + ["id"], "cache id '\(cache.id.forMessage)' must be letters, digits, '.', '_' or '-'") }
            if !cacheIDs.insert(cache.id).inserted { report(at + ["id"], "cache id '\(cache.id.forMessage)' is used twice") }
            if cache.minReplicas < 0 { report(at + ["min_replicas"], "min_replicas must not be negative") }
            if let problem = cache.password?.problem { report(at + ["password"], problem) }
            if let problem = cache.tls?.problem { report(at + ["tls"], problem) }
            if let problem = cache.endpoints.problem { report(at + ["endpoints"], problem) }
            if cache.nodes.isEmpty { report(at + ["nodes"], "cache '\(cache.id.forMessage)' has no nodes") }
            let own = Set(cache.nodes.map(\.id))
            for (n, node) in cache.nodes.enumerated() {
                let nodeAt = at + ["nodes", .index(n)]
                if !isIdentifier(node.id) { report(nodeAt + ["id"], "node id '\(node.id.forMessage)' must be letters, digits, '.', '_' or '-'") }
                if !nodeIDs.insert(node.id).inserted { report(nodeAt + ["id"], "node id '\(node.id.forMessage)' is used twice in the fleet") }
                if !isIdentifier(node.version) {
                    report(nodeAt + ["version"], "version '\(node.version.forMessage)' must be letters, digits, '.', '_' or '-'")
                }
                if !(node.capacity.memoryMB > 0 && node.capacity.memoryMB <= Self.maximumMemoryMB) {
                    report(nodeAt + ["capacity", "memory_mb"], "memory_mb must be positive and at most \(Int(Self.maximumMemoryMB))")
                }
                if !(node.capacity.cpus > 0 && node.capacity.cpus <= Self.maximumCPUs) {
                    report(nodeAt + ["capacity", "cpus"], "cpus must be positive and at most \(Int(Self.maximumCPUs))")
                }
                if let host = node.host, let problem = machineProblem(host) { report(nodeAt + ["host"], problem) }
                if let problem = node.ssh.flatMap(loginProblem) { report(nodeAt + ["ssh"], problem) }
            }
            if let provisioning = cache.provisioning {
                if provisioning.create.first?.isEmpty ?? true { report(at + ["provisioning", "create"], "create must name a program to run") }
                if provisioning.delete.map({ $0.first?.isEmpty ?? true }) == true { report(at + ["provisioning", "delete"], "delete must name a program to run") }
                if let problem = provisioning.ssh.flatMap(loginProblem) { report(at + ["provisioning", "ssh"], problem) }
            }
            for (h, spare) in (cache.spareHosts ?? []).enumerated() {
                let spareAt = at + ["spare_hosts", .index(h)]
                if let problem = machineProblem(spare.host) { report(spareAt + ["host"], problem) }
                if let problem = spare.ssh.flatMap(loginProblem) { report(spareAt + ["ssh"], problem) }
            }
            if !own.contains(cache.leader) {
                report(at + ["leader"], "leader '\(cache.leader.forMessage)' is not a node of cache '\(cache.id.forMessage)'"
                       + Suggestion.didYouMean(cache.leader, among: own), .unknownReference)
            }
            var shardIDs = Set<String>()
            for (s, shard) in cache.shards.enumerated() {
                let shardAt = at + ["shards", .index(s)]
                if !isIdentifier(shard.id) { report(shardAt + ["id"], "shard id '\(shard.id.forMessage)' must be letters, digits, '.', '_' or '-'") }
                if !shardIDs.insert(shard.id).inserted { report(shardAt + ["id"], "shard id '\(shard.id.forMessage)' is used twice in cache '\(cache.id.forMessage)'") }
                if !(shard.sizeMB >= 0 && shard.sizeMB <= Self.maximumShardMB) {
                    report(shardAt + ["size_mb"], "size_mb must be between 0 and \(Int(Self.maximumShardMB))")
                }
                if !own.contains(shard.primary) {
                    report(shardAt + ["primary"], "node '\(shard.primary.forMessage)' is not a node of cache '\(cache.id.forMessage)'"
                           + Suggestion.didYouMean(shard.primary, among: own), .unknownReference)
                }
                for (r, replica) in shard.replicas.enumerated() where !own.contains(replica) {
                    report(shardAt + ["replicas", .index(r)], "node '\(replica.forMessage)' is not a node of cache '\(cache.id.forMessage)'"
                           + Suggestion.didYouMean(replica, among: own), .unknownReference)
                }
                let copies = [shard.primary] + shard.replicas
                if Set(copies).count != copies.count {
                    report(shardAt, "shard '\(shard.id.forMessage)' has two copies on one node; copies must be on distinct nodes (invariant 3)")
                }
                if shard.replicas.count < cache.minReplicas {
                    report(shardAt + ["replicas"], "shard '\(shard.id.forMessage)' has \(shard.replicas.count) replicas, fewer than min_replicas \(cache.minReplicas) (invariant 5)")
                }
            }
        }
        return problems
    }

    /// What is wrong with a machine's address or name, nil when nothing is: it reaches `ssh`'s
    /// command line and the servers' `--bind`, so it is a host name or an IP address only.
    public static func machineProblem(_ host: String) -> String? {
        let allowed = host.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-:_".unicodeScalars.contains($0)) }
        guard !host.isEmpty, host.count <= 253, allowed, !host.hasPrefix("-") else {
            return "host '\(host.forMessage)' must be a host name or an IP address (letters, digits, '.', '-', ':')"
        }
        return nil
    }

    /// What is wrong with how to log in to a machine, nil when nothing is.
    static func loginProblem(_ login: SSHLogin) -> String? {
        if let user = login.user, user.isEmpty || user.hasPrefix("-") || !user.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic
            || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }) {
            return "user '\(user.forMessage)' must be letters, digits, '.', '_' or '-'"
        }
        if let port = login.port, !(1...65_535).contains(port) { return "port must be 1 to 65535" }
        return nil
    }

    /// Bounds far above any real machine, so that arithmetic on them cannot overflow.
    static let maximumMemoryMB = 1e9, maximumCPUs = 1e5, maximumShardMB = 1e8

    /// Whether `text` can name a node, cache, shard or version: it becomes part of paths
    /// and process labels.
    public static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" || $0 == "."
        } && text != "." && text != ".."
    }
}
