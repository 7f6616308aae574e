import Foundation
import MaintenanceKit
import ProcessBackend
import RedisWire

/// A node's endpoint on its machine: maintctl copies the endpoint's bundle (``EndpointBundle``:
/// the binary, its libraries and loader) to the machine once per build and cluster, starts it
/// there as a daemon, reaches its control socket through a socket of this machine that the
/// machine's master SSH connection forwards (`ssh -O forward`), and stops it by its pid there.
extension SSHHost {
    public func startEndpoint(on node: NodeLocation, binary: String, arguments: [String], directory: String) async throws -> pid_t {
        let (bundle, root) = try await installBundle(of: binary, on: node.address)
        let pidFile = remote(EndpointProcess.pidFile(in: directory))
        let command = bundle.command(at: root, arguments: ["--daemonize", "--pid-file", pidFile, "--log-file", remote(EndpointProcess.logFile(in: directory))]
                                     + arguments.map(remote))
        let output: String
        do {
            output = try await run(.startDaemon, [pidFile] + command, on: node.address)
        } catch let error as BackendError where error.code == .remoteCommandFailed {
            throw BackendError(.endpointStartFailed, "maintctl-proxy did not start on \(node.address ?? "?"): \(error.message)")
        }
        endpointsSeen = endpointsSeen.filter { $0.key.node.address != node.address }
        guard let pid = pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            throw BackendError(.endpointStartFailed, "maintctl-proxy on \(node.address ?? "?") wrote no pid")
        }
        return pid
    }

    /// Copies the bundle of `binary` to the machine unless it is there whole, and returns it
    /// with its directory there: one directory per build (its size and time), under the
    /// cluster's directory, so that `cluster down` removes it and a new build is copied anew.
    private func installBundle(of binary: String, on address: String?) async throws -> (EndpointBundle, String) {
        let bundle: EndpointBundle
        if let known = bundles[binary] {
            bundle = known
        } else {
            bundle = try EndpointBundle(binary: binary)
            bundles[binary] = bundle
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: bundle.files[0].source)
        let identity = "\(bundle.files[0].source) \(attributes?[.size] ?? 0) \((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        let root = remoteDirectory + "/endpoint-" + Self.shortHash(identity)
        let key = (address ?? "") + " " + root
        guard !installedBundles.contains(key) else { return (bundle, root) }
        if (try? await run(.bundlePresent, [root], on: address)) == nil {
            for file in bundle.files {
                guard let contents = FileManager.default.contents(atPath: file.source) else {
                    throw BackendError(.endpointStartFailed, "cannot read \(file.source) to copy the endpoint to \(address ?? "?")")
                }
                _ = try await run(.installFile, [root + "/" + file.path], on: address, input: contents, timeout: .seconds(300))
            }
            _ = try await run(.installFile, [root + "/.whole"], on: address)
        }
        installedBundles.insert(key)
        return (bundle, root)
    }

    /// A machine that cannot be asked (twice) has its endpoints taken for running: an endpoint
    /// is only given up on for what its machine says. What a machine said is kept for a second
    /// (every hold, release and notice of a failover asks), unless maintctl started or stopped one.
    public func endpointsRunning(_ endpoints: [HostedEndpoint]) async -> [Bool] {
        let now = ContinuousClock.now
        var result = endpoints.map { endpoint in endpointsSeen[endpoint].flatMap { now - $0.at < Self.seenFor ? $0.running : nil } }
        let asked = endpoints.indices.filter { result[$0] == nil }
        let words = await askEachMachine(.endpointConditions, about: asked, machine: { endpoints[$0].node.address },
                                         argument: { "\(endpoints[$0].pid):\(endpoints[$0].listen)" })
        for index in asked {
            result[index] = words[index].map { $0 == "yes" } ?? true
            if let word = words[index] { endpointsSeen[endpoints[index]] = (word == "yes", now) }
        }
        if endpointsSeen.count > 1_024 { endpointsSeen = endpointsSeen.filter { now - $0.value.at < Self.seenFor } }
        return result.map { $0 ?? true }
    }

    public func stopEndpoint(_ endpoint: HostedEndpoint, grace: Duration) async {
        defer { endpointsSeen[endpoint] = nil }
        let tenths = Int(grace.components.seconds * 10) + Int(grace.components.attoseconds / 100_000_000_000_000_000)
        _ = try? await run(.stopEndpoint, ["\(endpoint.pid):\(endpoint.listen)", String(max(0, tenths))], on: endpoint.node.address,
                           timeout: grace + .seconds(30))
    }

    public func stopEndpoints(under directory: String, on nodes: [NodeLocation]) async {
        defer { endpointsSeen = [:] }
        await withTaskGroup(of: Void.self) { group in
            for address in Set(nodes.map(\.address)) {
                group.addTask { _ = try? await self.run(.stopEndpointsUnder, [self.remote(directory)], on: address, timeout: .seconds(30)) }
            }
        }
    }

    /// A socket of this machine that the machine's master SSH connection forwards to the
    /// endpoint's control socket (`ssh -O forward`), forwarded the first time it is asked for
    /// and again when `renew` says it no longer connects (the master ended after a quiet
    /// minute, or maintctl restarted).
    public func controlSocket(endpointIn directory: String, of node: NodeLocation, renew: Bool) async throws -> String {
        let remoteSocket = remote(EndpointProcess.controlSocket(in: directory))
        let local = controlDirectory + "/e-" + Self.shortHash((node.address ?? "") + " " + remoteSocket)
        if renew || !forwardedSockets.contains(local) {
            try await shell(node.address).forward(local: local, remote: remoteSocket)
            forwardedSockets.insert(local)
        }
        return local
    }

    /// Removes the sockets of this machine that forwarded to endpoints, whichever maintctl
    /// made them (their master connections are closed).
    func removeForwardedSockets() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: controlDirectory)) ?? []
        for name in names where name.hasPrefix("e-") { try? FileManager.default.removeItem(atPath: controlDirectory + "/" + name) }
        forwardedSockets = []
    }
}
