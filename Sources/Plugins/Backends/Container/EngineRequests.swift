// The bodies of the Engine API requests that create things.

/// What a container is created with (the Engine API's `ContainerConfig` with `HostConfig`).
struct ContainerSpec: Encodable, Sendable {
    struct HostConfig: Encodable, Sendable {
        /// `host`: the servers listen on this machine's loopback, where clients reach them.
        var NetworkMode = "host"
        /// A minimal init reaps what exits in the container and stops it on SIGTERM.
        var Init = true
        /// Memory limit in bytes, from the node's capacity.
        var Memory: Int64
        /// The same, so the node does not swap beyond its capacity.
        var MemorySwap: Int64
        /// Directories of this machine mounted into the container.
        var Mounts: [Mount]
        /// Resource limits of the container's processes.
        var Ulimits: [Ulimit]
    }

    /// A directory or file of this machine seen in the container at `Target`.
    struct Mount: Encodable, Sendable {
        var `Type` = "bind"
        var Source: String
        var Target: String
        var ReadOnly = false
    }

    /// One resource limit (`nofile`, `nproc`).
    struct Ulimit: Encodable, Sendable {
        var Name: String
        var Soft: UInt64
        var Hard: UInt64
    }

    var Image: String
    var Entrypoint: [String] = []
    var Cmd: [String]
    var User: String
    var Labels: [String: String]
    var HostConfig: HostConfig
}

/// A process to start in a running container.
struct ExecSpec: Encodable, Sendable {
    var Cmd: [String]
    var User: String
    var AttachStdin = false
    var AttachStdout = false
    var AttachStderr = false
}
