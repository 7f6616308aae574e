/// The JSON Schema of an inventory: caches, their nodes and shards, a password by reference and
/// the endpoints' policy, from the inventory model.
public enum InventorySchema {
    public static var document: JSONValue {
        let root = JSONSchema.object([
            ("caches", JSONSchema.array(of: JSONSchema.reference("cache"), minItems: 1, description: "Every cache of the fleet.")),
            ("maintenance_windows", JSONSchema.array(of: PlaybookSchema.window, description: "Weekly windows maintenance may run in.")),
        ], required: ["caches"])
        guard case let .object(rootMembers) = root else { return root }
        let endpoints = EndpointPolicy.standard
        return JSONSchema.document(id: "https://maintctl.dev/schemas/inventory.schema.json", title: "maintctl inventory", root: rootMembers, definitions: [
            ("cache", JSONSchema.object([
                ("id", JSONSchema.identifier(description: "Cache id, unique in the fleet.")),
                ("resource_group", JSONSchema.identifier(description: "Its resource group; one cache per resource group and region is under maintenance at a time.")),
                ("region", JSONSchema.identifier(description: "Its region.")),
                ("leader", JSONSchema.identifier(description: "The node that coordinates health checks.")),
                ("min_replicas", JSONSchema.integer(0...1_000_000, description: "Replicas every shard must keep during maintenance (default 1).")),
                ("nodes", JSONSchema.array(of: JSONSchema.reference("node"), minItems: 1, description: "Its nodes (VMs).")),
                ("shards", JSONSchema.array(of: JSONSchema.reference("shard"), description: "Its shards.")),
                ("password", JSONSchema.object([
                    ("env", JSONSchema.string(description: "An environment variable holding the password.", pattern: "^[A-Za-z_][A-Za-z0-9_]*$")),
                    ("file", JSONSchema.string(description: "A file holding the password.", minLength: 1)),
                ], description: "Where the cache's password is: exactly one of env and file; never the password itself.")),
                ("tls", JSONSchema.object([
                    ("ca_file", JSONSchema.string(description: "The CA certificate (PEM) that signed every server's certificate.", minLength: 1)),
                    ("cert_file", JSONSchema.string(description: "The certificate (PEM) servers and endpoints present, naming every address they serve on.", minLength: 1)),
                    ("key_file", JSONSchema.string(description: "Its private key (PEM).", minLength: 1)),
                ], required: ["ca_file", "cert_file", "key_file"], description: "TLS only between clients, endpoints and servers, with these files (by path).")),
                ("endpoints", JSONSchema.object([
                    ("hold_limit_ms", JSONSchema.integer(100...60_000, description: "How long requests are held through a failover (default \(endpoints.holdLimitMilliseconds)).")),
                    ("moving_grace_seconds", JSONSchema.integer(0...3_600, description: "How long a leaving node's endpoint serves after MOVING (default \(endpoints.movingGraceSeconds)).")),
                    ("down_after_ms", JSONSchema.integer(300...600_000, description: "How long a primary is silent before the endpoints fail it over (default \(endpoints.downAfterMilliseconds)).")),
                ], description: "How the node endpoints carry clients through maintenance.")),
                ("spare_hosts", JSONSchema.array(of: JSONSchema.object([
                    ("host", JSONSchema.string(description: "The machine's address or name.", minLength: 1)),
                    ("ssh", JSONSchema.reference("ssh")),
                ], required: ["host"], description: "A machine a new node may be made on."), description: "Machines create_vms takes new nodes from (ssh backend).")),
                ("provisioning", JSONSchema.object([
                    ("create", JSONSchema.array(of: JSONSchema.string(), minItems: 1, description: "The command (argv) that makes a machine; {node} is the new node's id; it prints the machine's address last.")),
                    ("delete", JSONSchema.array(of: JSONSchema.string(), minItems: 1, description: "The command (argv) that deletes a machine; {host} is its address, {node} its node's id.")),
                    ("ssh", JSONSchema.reference("ssh")),
                ], required: ["create"], description: "How machines are made when no spare is left, and deleted (ssh backend).")),
            ], required: ["id", "resource_group", "region", "leader", "nodes", "shards"], description: "One cache.")),
            ("node", JSONSchema.object([
                ("id", JSONSchema.identifier(description: "Node id, unique in the fleet.")),
                ("version", JSONSchema.identifier(description: "Software version or image it runs.")),
                ("capacity", JSONSchema.object([
                    ("memory_mb", JSONSchema.number(0...16_777_216, description: "Memory in MB.")),
                    ("cpus", JSONSchema.number(0...4096, description: "CPU cores.")),
                ], required: ["memory_mb", "cpus"], description: "What it can carry.")),
                ("host", JSONSchema.string(description: "The machine it is, by address or name (ssh backend).", minLength: 1)),
                ("ssh", JSONSchema.reference("ssh")),
            ], required: ["id", "version", "capacity"], description: "A node (VM).")),
            ("ssh", JSONSchema.object([
                ("user", JSONSchema.string(description: "The user to log in as.", minLength: 1)),
                ("port", JSONSchema.integer(1...65_535, description: "The SSH port.")),
                ("identity_file", JSONSchema.string(description: "The private key to log in with.", minLength: 1)),
                ("known_hosts_file", JSONSchema.string(description: "The known_hosts file holding the machine's host key (default: the user's).", minLength: 1)),
            ], description: "How to log in over SSH; what is left out comes from the user's OpenSSH configuration.")),
            ("shard", JSONSchema.object([
                ("id", JSONSchema.identifier(description: "Shard id, unique in its cache.")),
                ("primary", JSONSchema.identifier(description: "The node holding its primary copy.")),
                ("replicas", JSONSchema.array(of: JSONSchema.identifier(), uniqueItems: true, description: "The nodes holding its replica copies.")),
                ("size_mb", JSONSchema.number(0...16_777_216, description: "Data size in MB; sync time follows it.")),
            ], required: ["id", "primary", "replicas", "size_mb"], description: "A shard: one primary and replicas on distinct nodes.")),
        ])
    }
}
