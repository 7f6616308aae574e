import Foundation
import MaintenanceKit
import ProcessBackend

#if canImport(Glibc)
import Glibc
#endif

/// Nodes as containers of a local engine, one per node, from the image of the node's version,
/// with host networking; their `redis-server`s are processes started in the container.
///
/// The node's directory (under the state directory) is bind-mounted into its container at
/// the same path, so the servers' logs and cluster files are where the process backend puts
/// them. Servers run as maintctl's own user, so maintctl can watch and signal them by pid
/// and remove what they wrote.
public struct ContainerHost: ServersOfThisMachine {
    /// The labels maintctl puts on its containers and images.
    enum Label {
        /// The cluster a container belongs to (its name prefix).
        static let cluster = "io.maintctl.cluster"
        /// The node a container is.
        static let node = "io.maintctl.node"
        /// Marks an image maintctl built itself.
        static let builtBy = "io.maintctl.built-by"
        /// The image a node's container runs, by name (the engine keeps its id).
        static let image = "io.maintctl.image"
        /// The binary an image maintctl built was made from: its path, size and time.
        static let source = "io.maintctl.source"
    }

    /// The repository of the images maintctl builds from a `redis-server` binary.
    public static let builtRepository = "maintctl/redis"

    public let engine: ContainerEngine
    /// The prefix of the cluster's container names (`maintctl-1a2b3c4d`), unique to it.
    public let namePrefix: String
    /// The `redis-server` binary maintctl builds its own missing images from.
    public let imageSource: String?

    /// A host for a new cluster.
    /// - Parameters:
    ///   - engine: The container engine.
    ///   - imageSource: The binary to build missing images of ``builtRepository`` from.
    public init(engine: ContainerEngine, imageSource: String?) {
        self.engine = engine
        self.namePrefix = "maintctl-" + String(UInt32.random(in: .min ... .max), radix: 16)
        self.imageSource = imageSource
    }

    /// Attaches to the host a cluster's state records.
    /// - Throws: `BackendError` when the cluster is not one of containers.
    public init(record: HostRecord, directory: String) throws {
        guard record.kind == ContainerBackend.descriptor.id, let endpoint = record.engine, let prefix = record.namePrefix else {
            throw BackendError(.wrongBackend, "'\(directory)' holds a cluster of the \(record.kind) backend, not of containers; "
                               + "use --backend \(record.kind)")
        }
        self.engine = try ContainerEngine(endpoint: endpoint)
        self.namePrefix = prefix
        self.imageSource = record.imageSource
    }

    public var descriptor: BackendDescriptor { ContainerBackend.descriptor }

    public var record: HostRecord {
        HostRecord(kind: ContainerBackend.descriptor.id, engine: engine.endpoint, namePrefix: namePrefix, imageSource: imageSource)
    }

    /// The container of `node`.
    func containerName(_ node: String) -> String { "\(namePrefix)-\(node)" }

    /// Open files as maintctl may have them, and processes as maintctl may have them up to
    /// 32,768 (the hard limit Podman's service runs with). An engine's defaults can exceed what
    /// the machine lets it grant: Podman asks for 1,048,576 files and 4,194,304 processes, and
    /// where it cannot raise its limits the container does not start.
    static var ulimits: [ContainerSpec.Ulimit] {
        var files = rlimit(), processes = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0, getrlimit(Int32(__RLIMIT_NPROC.rawValue), &processes) == 0 else { return [] }
        let processCap = min(UInt64(processes.rlim_cur), 32_768)
        return [
            ContainerSpec.Ulimit(Name: "nofile", Soft: UInt64(files.rlim_cur), Hard: UInt64(files.rlim_max)),
            ContainerSpec.Ulimit(Name: "nproc", Soft: processCap, Hard: processCap),
        ]
    }

    /// The user the servers run as: maintctl's own.
    var user: String { "\(getuid()):\(getgid())" }

    // MARK: - ServerHost

    /// Checks that the engine has the image; one of ``builtRepository`` that is missing is
    /// built from ``imageSource``.
    public func check(version: String, runnable image: String) async throws {
        // A version is part of the image's tag (`maintctl/redis:{version}`): one that makes no tag
        // is refused here, in our words, not by the engine's "invalid reference format".
        let ours = image.hasPrefix(Self.builtRepository + ":")
        let tag = ours ? image.dropFirst(Self.builtRepository.count + 1)
            : image.lastIndex(of: ":").flatMap { image[$0...].contains("/") ? nil : image[image.index(after: $0)...] }
        if let tag {
            guard let first = tag.first, first.isASCII, first.isLetter || first.isNumber || first == "_", tag.count <= 128,
                  tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) else {
                throw BackendError(.badVersion, "version '\(version)' makes no image tag ('\(image)'): a tag is letters, digits, "
                                   + "'_', '.' and '-', at most 128; map the version to an image with --image \(version)=IMAGE")
            }
        }
        let existing = try await engine.inspectImage(image)
        guard ours, let imageSource else {
            if existing == nil { throw missing(image, version: version) }
            return
        }
        // maintctl's own image: made again when the binary it was made from changed since.
        let source = try RedisImage.identity(of: imageSource)
        if let existing, existing.labels[Label.source] == source { return }
        try await engine.importImage(try RedisImage.archive(of: imageSource), as: image,
                                     labels: [Label.builtBy: "maintctl", Label.source: source])
    }

    /// The error for an image the engine does not have.
    private func missing(_ image: String, version: String) -> BackendError {
        BackendError(.imageMissing, "the container engine at \(engine.endpoint) has no image '\(image)' for version \(version); "
                     + "load or build it there (docker load / docker build -t \(image) …), or map the version to another image "
                     + "with: maintctl cluster up … --image \(version)=IMAGE")
    }

    public var runsEndpoints: Bool { true }

    public func provision(_ node: NodeSpec, runnable image: String, directory: String, current: NodeLocation?, taken: Set<String>) async throws -> String? {
        try await provision(node, image: image, directory: directory)
        return nil
    }

    private func provision(_ node: NodeSpec, image: String, directory: String) async throws {
        try ThisMachine.makeDirectory(directory)
        let name = containerName(node.id)
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) else {
            throw BackendError(.badNodeName, "node '\(node.id)' cannot name a container: use letters, digits, '_', '.' and '-'")
        }
        guard let imageID = try await engine.inspectImage(image)?.Id else { throw missing(image, version: node.version) }
        if let existing = try await engine.container(name) {
            // A container of another image (a node restarted at a new version) is made anew;
            // its servers are stopped by then.
            if existing.Image == imageID {
                if !existing.State.Running { try await engine.startContainer(name) }
                return
            }
            try await engine.removeContainer(name)
        }
        let memory = Int64(node.capacity.memoryMB * 1_048_576)
        try await engine.createContainer(name, ContainerSpec(
            Image: imageID, Cmd: RedisImage.keeper, User: user,
            Labels: [Label.cluster: namePrefix, Label.node: node.id, Label.image: image],
            HostConfig: .init(Memory: memory, MemorySwap: memory,
                              Mounts: [.init(Source: directory, Target: directory)] + EndpointRuntime.mounts(), Ulimits: Self.ulimits)))
        try await engine.startContainer(name)
    }

    public func startServer(on node: NodeLocation, runnable image: String, arguments: [String], pidFile: String) async throws -> pid_t {
        let execution: ContainerEngine.Execution
        do {
            execution = try await engine.execute(["redis-server"] + arguments + ["--daemonize", "no"], in: containerName(node.id), user: user)
        } catch let error as BackendError where error.code == .execFailed {
            throw BackendError(.redisStartFailed, error.message)
        }
        try await requireLocal(execution)
        return execution.pid
    }

    /// Checks that the pid the engine reports is a `redis-server` of this machine, as maintctl
    /// watches and signals its servers by pid. It is not with a rootless or user-remapped
    /// engine, or when maintctl itself runs in a container.
    ///
    /// The engine reports the pid before the process has become `redis-server` (it is the
    /// runtime's init until its exec), which takes a moment on a loaded machine: up to 5 s.
    private func requireLocal(_ execution: ContainerEngine.Execution) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        repeat {
            let title = FileManager.default.contents(atPath: "/proc/\(execution.pid)/cmdline").map { String(decoding: $0, as: UTF8.self) }
            guard let title else { break }
            if title.contains("redis-server") { return }
            try await Task.sleep(for: .milliseconds(10))
        } while ContinuousClock.now < deadline
        // A server that exited at once (its port taken meanwhile) is a failed start, tried again.
        guard try await engine.isRunning(execution) else {
            throw BackendError(.redisStartFailed, "redis-server in a container of \(engine.endpoint) exited at once")
        }
        throw BackendError(.engineNotLocal, "the container engine at \(engine.endpoint) reports pid \(execution.pid) for a redis-server it runs, "
                           + "which is no redis-server of this machine: the container backend needs an engine on this machine "
                           + "that runs containers as root in its process namespace (not rootless, not user-remapped), and maintctl outside a container")
    }

    /// Runs the endpoint inside the node's container, through the dynamic loader and libraries
    /// of this machine that provisioning mounted there: it needs nothing of the image.
    public func startEndpoint(on node: NodeLocation, binary: String, arguments: [String], directory: String) async throws -> pid_t {
        let log = EndpointProcess.logFile(in: directory)
        let command = try EndpointRuntime.command(arguments: arguments + ["--log-file", log])
        do {
            return try await engine.execute(command, in: containerName(node.id), user: user).pid
        } catch let error as BackendError where error.code == .execFailed {
            throw BackendError(.endpointStartFailed, "\(error.message); see \(log)")
        }
    }

    /// Kills the node's container with SIGKILL: every process in it dies at once.
    public func crash(_ node: NodeLocation, pids: [pid_t]) async {
        do {
            try await engine.killContainer(containerName(node.id))
        } catch {
            // The engine is gone: the servers die all the same.
            for pid in pids { kill(pid, SIGKILL) }
        }
    }

    public func delete(_ node: NodeLocation, directory: String) async throws {
        try await engine.removeContainer(containerName(node.id))
        ThisMachine.remove(directory)
    }

    public func deleteAll(under directory: String, nodes: [NodeLocation]) async throws {
        for container in try await engine.containers(labelled: Label.cluster, namePrefix) {
            try await engine.removeContainer(container.name)
        }
    }

    /// A node's container as the engine has it.
    public struct NodeContainer: Sendable, Hashable {
        /// The engine's id of the container.
        public var id: String
        public var node: String
        public var name: String
        public var image: String
        public var running: Bool
    }

    /// Every container of the cluster the engine has, running or not.
    /// - Throws: `BackendError` when the engine does not answer.
    public func containers() async throws -> [NodeContainer] {
        try await engine.containers(labelled: Label.cluster, namePrefix).map {
            NodeContainer(id: $0.Id, node: $0.Labels?[Label.node] ?? "", name: $0.name, image: $0.Labels?[Label.image] ?? $0.Image,
                          running: $0.State == "running")
        }
    }
}
