import Foundation
import Logging
import MaintenanceKit
import ProcessBackend
import RedisWire

/// The ssh backend: the process backend's Redis Cluster on machines reached over SSH
/// (``SSHHost``), one node per machine, named by the inventory's `host:`.
public enum SSHBackend {
    /// Makes ssh backends: attached to a cluster's state directory; `cluster up` starts the
    /// inventory's nodes on their machines.
    public static let factory = ProcessBackendFactory(descriptor: SSHHost.descriptor, artifact: .binary, timing: ProcessBackend.timingModel,
                                                      attach: attach) { request in
        try await up(request.inventory, in: request.state,
                     binaries: request.artifacts.merging(["default": request.redisServer]) { given, _ in given }, logger: request.logger)
    }

    /// Starts a Redis Cluster for each cache of `inventory` on the machines its nodes name.
    /// - Throws: `BackendError`: a cache without a password (its servers listen on a network),
    ///   a node without a machine, a machine that cannot be reached; whatever was started is
    ///   stopped again before it throws.
    public static func up(_ inventory: Inventory, in directory: String, binaries: [String: String], logger: Logger) async throws -> ProcessBackend {
        if let open = inventory.caches.first(where: { $0.password == nil }) {
            throw BackendError(.passwordRequired, "cache '\(open.id)' has no password, and its servers would listen on a network: "
                               + "give it one by reference (password: { env: NAME } or { file: PATH }); maintctl never starts such a server without one")
        }
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        let host = try SSHHost(record: SSHHost.record(for: inventory, stateDirectory: directory), stateDirectory: directory)
        return try await ProcessBackend.up(inventory, in: directory, binaries: binaries, host: host, logger: logger)
    }

    /// Takes over a running Redis Cluster on machines that maintctl did not start (see
    /// ``ProcessBackend/adopt(_:host:in:logger:)``): each machine its servers announce is a node
    /// (unless the request groups them otherwise), reached over SSH with `login`.
    /// - Parameters:
    ///   - login: How to log in to every machine (nil: the user's OpenSSH configuration).
    ///   - spares: Machines new nodes may be made on.
    /// - Throws: `BackendError`: no password (the servers listen on a network), a machine that
    ///   cannot be reached, or what makes the cluster one maintctl cannot drive.
    public static func adopt(_ request: AdoptionRequest, login: SSHLogin?, spares: [String], in directory: String,
                             logger: Logger) async throws -> (backend: ProcessBackend, inventory: Inventory) {
        guard request.password != nil else {
            throw BackendError(.passwordRequired, "the servers of \(request.seed) listen on a network: adopt them with their password "
                               + "(--password-env or --password-file); maintctl drives no such server without one")
        }
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        let machines = try await ProcessBackend.announcedAddresses(seed: request.seed, password: request.password)
        let record = HostRecord(kind: SSHHost.descriptor.id,
                                machines: (machines + spares.filter { !machines.contains($0) }).map { SpareHost(host: $0, ssh: login) },
                                remoteDirectory: SSHHost.remoteDirectory(for: directory))
        let host = try SSHHost(record: record, stateDirectory: directory)
        return try await ProcessBackend.adopt(request, host: host, in: directory, logger: logger)
    }

    /// Opens the machines a cluster's state records.
    /// - Throws: `BackendError` when the cluster is not one of SSH machines.
    public static func attach(_ record: HostRecord, directory: String) throws -> any ServerHost {
        guard record.kind == SSHHost.descriptor.id else {
            throw BackendError(.wrongBackend, "'\(directory)' holds a cluster of the \(record.kind) backend; use --backend \(record.kind)")
        }
        return try SSHHost(record: record, stateDirectory: directory)
    }
}
