/// What a fleet looks like before maintenance: its caches, their nodes and shards.
public struct Inventory: Sendable, Codable {
    /// Every cache the inventory describes.
    public var caches: [CacheSpec]
    /// Weekly windows maintenance may run in; a playbook's own windows replace them.
    public var maintenanceWindows: [MaintenanceWindow]?

    /// Creates an inventory.
    public init(caches: [CacheSpec], maintenanceWindows: [MaintenanceWindow]? = nil) {
        self.caches = caches
        self.maintenanceWindows = maintenanceWindows
    }

    enum CodingKeys: String, CodingKey {
        case caches, maintenanceWindows = "maintenance_windows"
    }

    /// The cache with `id`.
    public func cache(_ id: String) -> CacheSpec? { caches.first { $0.id == id } }

    /// Every node id in the fleet.
    public var allNodeIDs: [String] { caches.flatMap { $0.nodes.map(\.id) } }
}

/// A cache (cluster): where it lives, its nodes and its shards.
public struct CacheSpec: Sendable, Codable {
    /// Unique cache id.
    public var id: String
    /// The resource group; with `region` it decides which caches may be patched together.
    public var resourceGroup: String
    /// The region.
    public var region: String
    /// The node that owns cluster metadata.
    public var leader: String
    /// The fewest replicas each shard must keep (outside a copy's replacement).
    public var minReplicas: Int
    /// The nodes (VMs).
    public var nodes: [NodeSpec]
    /// The shards.
    public var shards: [ShardSpec]
    /// Where the cache's password is, when its servers require one (clients, maintctl and the
    /// endpoints then authenticate); nil for a cache without a password.
    public var password: SecretReference?
    /// The cache's TLS files, when it speaks TLS only; nil for plain TCP.
    public var tls: TLSFiles?
    /// How its node endpoints carry clients through maintenance.
    public var endpoints: EndpointPolicy
    /// Machines new nodes may be made on, for backends that reach machines (ssh).
    public var spareHosts: [SpareHost]?
    /// How to make machines when no spare is left, and delete them, for backends that reach machines (ssh).
    public var provisioning: MachineProvisioning?

    /// Creates a cache description.
    public init(id: String, resourceGroup: String, region: String, leader: String, minReplicas: Int = 1,
                nodes: [NodeSpec], shards: [ShardSpec], password: SecretReference? = nil, endpoints: EndpointPolicy = .standard,
                spareHosts: [SpareHost]? = nil, provisioning: MachineProvisioning? = nil, tls: TLSFiles? = nil) {
        self.id = id
        self.resourceGroup = resourceGroup
        self.region = region
        self.leader = leader
        self.minReplicas = minReplicas
        self.nodes = nodes
        self.shards = shards
        self.password = password
        self.endpoints = endpoints
        self.spareHosts = spareHosts
        self.provisioning = provisioning
        self.tls = tls
    }

    enum CodingKeys: String, CodingKey {
        case id, resourceGroup = "resource_group", region, leader, minReplicas = "min_replicas", nodes, shards, password, endpoints
        case spareHosts = "spare_hosts", provisioning, tls
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        resourceGroup = try container.decode(String.self, forKey: .resourceGroup)
        region = try container.decode(String.self, forKey: .region)
        leader = try container.decode(String.self, forKey: .leader)
        minReplicas = try container.decodeIfPresent(Int.self, forKey: .minReplicas) ?? 1
        nodes = try container.decode([NodeSpec].self, forKey: .nodes)
        shards = try container.decode([ShardSpec].self, forKey: .shards)
        password = try container.decodeIfPresent(SecretReference.self, forKey: .password)
        endpoints = try container.decodeIfPresent(EndpointPolicy.self, forKey: .endpoints) ?? .standard
        spareHosts = try container.decodeIfPresent([SpareHost].self, forKey: .spareHosts)
        provisioning = try container.decodeIfPresent(MachineProvisioning.self, forKey: .provisioning)
        tls = try container.decodeIfPresent(TLSFiles.self, forKey: .tls)
    }

    /// The key under which caches are serialized: one cache per key at a time.
    public var placement: Placement { Placement(resourceGroup: resourceGroup, region: region) }
}

/// A resource group and region pair.
public struct Placement: Sendable, Hashable, Codable, CustomStringConvertible {
    public var resourceGroup: String
    public var region: String
    public init(resourceGroup: String, region: String) {
        self.resourceGroup = resourceGroup
        self.region = region
    }
    public var description: String { "\(resourceGroup)/\(region)" }
}

/// A node (VM) as the inventory describes it.
public struct NodeSpec: Sendable, Codable, Hashable {
    /// Node id, unique in the fleet.
    public var id: String
    /// Software version or image the node runs.
    public var version: String
    /// What the node can carry.
    public var capacity: Capacity
    /// The machine the node is, by address or name, for backends that reach machines (ssh);
    /// nil for backends that make their own nodes.
    public var host: String?
    /// How to log in to `host`; what is left out comes from the user's OpenSSH configuration.
    public var ssh: SSHLogin?

    public init(id: String, version: String, capacity: Capacity, host: String? = nil, ssh: SSHLogin? = nil) {
        self.id = id
        self.version = version
        self.capacity = capacity
        self.host = host
        self.ssh = ssh
    }
}

/// How maintctl logs in to a machine over SSH (inventory `ssh:`).
public struct SSHLogin: Sendable, Codable, Hashable {
    /// The user to log in as.
    public var user: String?
    /// The SSH port.
    public var port: Int?
    /// The private key to authenticate with (only this one is offered).
    public var identityFile: String?
    /// The `known_hosts` file that must hold the machine's host key (default: the user's).
    public var knownHostsFile: String?

    public init(user: String? = nil, port: Int? = nil, identityFile: String? = nil, knownHostsFile: String? = nil) {
        self.user = user
        self.port = port
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
    }

    enum CodingKeys: String, CodingKey {
        case user, port, identityFile = "identity_file", knownHostsFile = "known_hosts_file"
    }
}

/// How new machines are made and deleted when `spare_hosts:` has none left (inventory
/// `provisioning:`): the user's own commands (their cloud's CLI), run as argv arrays, never
/// through a shell. In `create`, `{node}` stands for the new node's id; the command prints the
/// new machine's address or name as the last line of its output. In `delete`, `{host}` stands for
/// the machine's address and `{node}` for its node's id.
public struct MachineProvisioning: Sendable, Codable, Hashable {
    public var create: [String]
    public var delete: [String]?
    /// How to log in to the machines it makes.
    public var ssh: SSHLogin?

    public init(create: [String], delete: [String]? = nil, ssh: SSHLogin? = nil) {
        self.create = create
        self.delete = delete
        self.ssh = ssh
    }
}

/// A machine a new node may be made on (inventory `spare_hosts:`): `create_vms` takes one,
/// `delete_vms` gives it back.
public struct SpareHost: Sendable, Codable, Hashable {
    /// The machine's address or name.
    public var host: String
    /// How to log in to it.
    public var ssh: SSHLogin?

    public init(host: String, ssh: SSHLogin? = nil) {
        self.host = host
        self.ssh = ssh
    }
}

/// How much a node can carry.
public struct Capacity: Sendable, Codable, Hashable {
    /// Memory in MB.
    public var memoryMB: Double
    /// CPU cores.
    public var cpus: Double

    public init(memoryMB: Double, cpus: Double) {
        self.memoryMB = memoryMB
        self.cpus = cpus
    }

    enum CodingKeys: String, CodingKey {
        case memoryMB = "memory_mb", cpus
    }
}

/// A shard: one primary copy and replica copies on distinct nodes.
public struct ShardSpec: Sendable, Codable, Hashable {
    /// Shard id, unique within its cache.
    public var id: String
    /// The node holding the primary copy.
    public var primary: String
    /// The nodes holding replica copies.
    public var replicas: [String]
    /// Data size in MB; sync time follows it.
    public var sizeMB: Double

    public init(id: String, primary: String, replicas: [String], sizeMB: Double) {
        self.id = id
        self.primary = primary
        self.replicas = replicas
        self.sizeMB = sizeMB
    }

    enum CodingKeys: String, CodingKey {
        case id, primary, replicas, sizeMB = "size_mb"
    }
}
