import Foundation
import MaintenanceKit
import ProcessBackend
import RedisWire

/// Nodes as machines reached over SSH, as Ansible reaches hosts: each node is a machine with
/// an address, its `redis-server`s are processes there, started, watched and stopped by the
/// pids of that machine through one multiplexed SSH connection per machine (``SecureShell``).
/// A new node takes a machine of the inventory's `spare_hosts:`, else one its `provisioning:`
/// command makes; a deleted node gives its machine back, or has the command delete it.
///
/// Node directories are the state directory's own paths moved under `remoteDirectory` on the
/// machine. Every remote command is a fixed script that takes its values as arguments
/// (``RemoteScript``); secrets reach a machine on a command's standard input.
public actor SSHHost: ServerHost {
    public static let descriptor = BackendDescriptor(
        id: "ssh", summary: "A real Redis Cluster on machines reached over SSH, one node per machine (needs --state DIR and hosts in the inventory).")

    public nonisolated var descriptor: BackendDescriptor { Self.descriptor }
    public nonisolated let record: HostRecord
    public nonisolated var runsEndpoints: Bool { true }

    /// The state directory, whose paths move under ``remoteDirectory`` on a machine.
    private let stateDirectory: String
    let remoteDirectory: String
    let machines: [String: SpareHost]
    let controlDirectory: String
    /// The bundles of the endpoint binaries started, by binary (`ldd` runs once for each).
    var bundles: [String: EndpointBundle] = [:]
    /// The bundle directories known to be whole on a machine, by machine address.
    var installedBundles: Set<String> = []
    /// What each endpoint's machine last said of it, and when (see ``endpointsRunning(_:)``).
    var endpointsSeen: [HostedEndpoint: (running: Bool, at: ContinuousClock.Instant)] = [:]
    /// The local sockets forwarded to endpoints' control sockets by the master connections.
    var forwardedSockets: Set<String> = []
    /// Machines this instance gave to new nodes and that are not recorded yet.
    private var claimed: Set<String> = []
    /// What each server's process was when its machine last said, and when: the backend asks
    /// often (every poll of a sync), and each answer costs a remote command.
    private var seen: [HostedServer: (condition: ServerCondition, at: ContinuousClock.Instant)] = [:]
    /// How long what a machine said of a server is taken as still true. Anything maintctl
    /// does to a server's process forgets it at once; a death meanwhile fails the server's
    /// Redis commands all the same.
    static let seenFor: Duration = .seconds(1)

    /// A host of the machines `record` lists, for the cluster in `stateDirectory`.
    /// - Throws: `BackendError` when the record lists no machines.
    public init(record: HostRecord, stateDirectory: String) throws {
        guard record.kind == Self.descriptor.id, let machines = record.machines, !machines.isEmpty || record.provisioning != nil,
              let remoteDirectory = record.remoteDirectory else {
            throw BackendError(.wrongBackend, "'\(stateDirectory)' holds no cluster of SSH machines")
        }
        self.record = record
        self.stateDirectory = stateDirectory
        self.remoteDirectory = remoteDirectory
        self.machines = Dictionary(machines.map { ($0.host, $0) }, uniquingKeysWith: { first, _ in first })
        // A unix socket's path is short: a directory of this user's named by the state directory.
        self.controlDirectory = "/tmp/maintctl-ssh-\(getuid())-\(Self.shortHash(stateDirectory))"
        // Made once here, not before every remote command; ssh says so if it cannot be.
        try? FileManager.default.createDirectory(atPath: controlDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// A new cluster's directory on its machines, named by its state directory and unique.
    /// Its name keeps letters, digits, `.`, `_` and `-` of the state directory's, at most 24:
    /// every path under it stays short (a unix socket's path has 108 bytes) and plain.
    public static func remoteDirectory(for stateDirectory: String) -> String {
        let name = String(URL(fileURLWithPath: stateDirectory).lastPathComponent.unicodeScalars.prefix(24).map { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        })
        return "/tmp/maintctl-\(name)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// 12 hex digits of a 64-bit FNV-1a hash of `text`: a short name that is `text`'s own.
    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return String(String(hash, radix: 16).prefix(12))
    }

    /// The record of a host of every machine `inventory` names (its nodes' and its spares').
    /// - Throws: `BackendError` when a node names no machine, or two nodes the same one.
    public static func record(for inventory: Inventory, stateDirectory: String) throws -> HostRecord {
        var machines: [SpareHost] = []
        for cache in inventory.caches {
            for node in cache.nodes {
                guard let host = node.host else {
                    throw BackendError(.machineUnknown, "node '\(node.id)' of '\(cache.id)' names no machine: give it 'host:' (the ssh backend runs each node on a machine of its own)")
                }
                guard !machines.contains(where: { $0.host == host }) else {
                    throw BackendError(.machineUnknown, "node '\(node.id)' of '\(cache.id)' names machine \(host), which another node has: one node per machine")
                }
                machines.append(SpareHost(host: host, ssh: node.ssh))
            }
            for spare in cache.spareHosts ?? [] where !machines.contains(where: { $0.host == spare.host }) { machines.append(spare) }
        }
        let provisionings = Set(inventory.caches.compactMap(\.provisioning))
        guard provisionings.count <= 1 else {
            throw BackendError(.machineUnknown, "the caches of one cluster state share one provisioning (or none); give each its own --state")
        }
        return HostRecord(kind: descriptor.id, machines: machines, remoteDirectory: remoteDirectory(for: stateDirectory),
                          provisioning: provisionings.first)
    }

    // MARK: - Machines

    func shell(_ address: String?) throws -> SecureShell {
        // A machine the inventory names, else one the provisioning command made.
        guard let address, let machine = machines[address] ?? record.provisioning.map({ SpareHost(host: address, ssh: $0.ssh) }) else {
            throw BackendError(.sshUnreachable, "no machine \(address ?? "(none)") is known to this cluster")
        }
        var options: [String] = []
        if let knownHosts = machine.ssh?.knownHostsFile { options.append("UserKnownHostsFile=\(knownHosts)") }
        return SecureShell(destination: SSHDestination(host: machine.host, user: machine.ssh?.user, port: machine.ssh?.port,
                                                       identityFile: machine.ssh?.identityFile),
                           controlDirectory: controlDirectory, options: options)
    }

    /// `path` (under the state directory) where it is on a machine.
    func remote(_ path: String) -> String {
        guard path == stateDirectory || path.hasPrefix(stateDirectory + "/") else { return path }
        return remoteDirectory + path.dropFirst(stateDirectory.count)
    }

    func run(_ script: RemoteScript, _ arguments: [String], on address: String?, input: Data = Data(),
                     timeout: Duration = .seconds(30)) async throws -> String {
        try await shell(address).run(["sh", "-c", script.text, "sh"] + arguments, input: input, timeout: timeout).text
    }

    // MARK: - ServerHost

    public func check(version: String, runnable: String) async throws {
        // Every machine at once; the first failure (in address order) is the one told.
        let failures = await withTaskGroup(of: (String, (any Error)?).self) { group in
            for address in machines.keys {
                group.addTask {
                    do {
                        _ = try await self.run(.executable, [runnable], on: address)
                        return (address, nil)
                    } catch {
                        return (address, error)
                    }
                }
            }
            var failed: [(String, any Error)] = []
            for await (address, error) in group { if let error { failed.append((address, error)) } }
            return failed.sorted { $0.0 < $1.0 }
        }
        guard let (address, error) = failures.first else { return }
        if let error = error as? BackendError, error.code == .remoteCommandFailed {
            throw BackendError(.redisMissing, "version \(version) runs '\(runnable)', which \(address) does not have as an executable; "
                               + "install it there or map the version to another binary with: maintctl cluster up … --binary \(version)=PATH")
        }
        throw error
    }

    public func provision(_ node: NodeSpec, runnable: String, directory: String, current: NodeLocation?, taken: Set<String>) async throws -> String? {
        let address: String
        if let placed = current?.address ?? node.host {
            address = placed
        } else if let free = record.machines?.map(\.host).first(where: { !taken.contains($0) && !claimed.contains($0) }) {
            address = free
        } else if let provisioning = record.provisioning {
            address = try await make(node.id, with: provisioning)
        } else {
            throw BackendError(.noSpareHost, "no spare machine is left for node '\(node.id)': add one to the inventory's spare_hosts, or give it a provisioning command")
        }
        claimed.insert(address)
        do {
            _ = try await run(.makeDirectory, [remote(directory)], on: address)
        } catch {
            claimed.remove(address)
            throw error
        }
        return address
    }

    public func startServer(on node: NodeLocation, runnable: String, arguments: [String], pidFile: String) async throws -> pid_t {
        let output: String
        do {
            output = try await run(.startDaemon, [remote(pidFile), runnable] + arguments.map(remote) + ["--daemonize", "yes", "--pidfile", remote(pidFile)],
                                   on: node.address)
        } catch let error as BackendError where error.code == .remoteCommandFailed {
            throw BackendError(.redisStartFailed, "\(runnable) did not start on \(node.address ?? "?"): \(error.message)")
        }
        guard let pid = pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            throw BackendError(.redisStartFailed, "\(runnable) on \(node.address ?? "?") wrote no pid")
        }
        return pid
    }


    public func crash(_ node: NodeLocation, pids: [pid_t]) async {
        defer { forget(on: node.address) }
        _ = try? await run(.signal, ["KILL"] + pids.map { "\($0):0" }, on: node.address)
    }

    public func delete(_ node: NodeLocation, directory: String) async throws {
        defer { forget(on: node.address) }
        // The machine goes back to the pool as it came: no fault of the node's outlives it.
        await healNetwork(node)
        _ = try await run(.stopUnder, [remote(directory)], on: node.address, timeout: .seconds(60))
        _ = try await run(.remove, [remote(directory)], on: node.address)
        // A machine the inventory names goes back to the pool; one the provisioning command made
        // is deleted by its delete command.
        if let address = node.address, !(record.machines ?? []).contains(where: { $0.host == address }) {
            try await deleteMade(node)
        }
        if let address = node.address { claimed.remove(address) }
    }

    /// Makes a machine for `node` with the provisioning command and returns its address.
    private func make(_ node: String, with provisioning: MachineProvisioning) async throws -> String {
        let output = try await runLocally(provisioning.create.map { $0.replacingOccurrences(of: "{node}", with: node) },
                                          doing: "make a machine for node '\(node)'")
        let address = output.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if let problem = InventoryLoader.machineProblem(address) {
            throw BackendError(.provisioningFailed, "the provisioning command made no machine for node '\(node)': its last line of output is no address (\(problem))")
        }
        return address
    }

    /// Runs a provisioning command on this machine (no shell) and returns what it printed.
    @discardableResult
    private func runLocally(_ argv: [String], doing what: String) async throws -> String {
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await ChildProcess.run(argv, timeout: .seconds(900))
        } catch {
            throw BackendError(.provisioningFailed, "cannot \(what): \(error)")
        }
        guard !outcome.timedOut, outcome.status == 0 else {
            throw BackendError(.provisioningFailed, "cannot \(what): '\(argv.first ?? "")' "
                               + (outcome.timedOut ? "did not end within 15 minutes" : "exited with status \(outcome.status): \(outcome.errorText.suffix(600))"))
        }
        return String(decoding: outcome.stdout, as: UTF8.self)
    }


    public func deleteAll(under directory: String, nodes: [NodeLocation]) async throws {
        // Every machine: a node being made when maintctl died may be on a spare the state does not name.
        let made = nodes.filter { node in node.address.map { machines[$0] == nil } ?? false }
        for address in Set(machines.keys).union(made.compactMap(\.address)).sorted() {
            do {
                _ = try await run(.stopUnder, [remote(directory)], on: address, timeout: .seconds(60))
                _ = try await run(.remove, [remote(directory), remoteDirectory], on: address)
            } catch let error as BackendError where error.code == .sshUnreachable && !nodes.contains(where: { $0.address == address }) {
                continue // a spare nobody used that is gone is nothing left behind
            }
            try? await shell(address).close()
        }
        removeForwardedSockets()
        // The machines the provisioning command made go with the cluster.
        for node in made { try await deleteMade(node) }
        // The masters' sockets went with the cluster: so does their directory.
        try? FileManager.default.removeItem(atPath: controlDirectory)
    }

    /// Has the provisioning command delete the machine it made for `node`, if it has one for that.
    private func deleteMade(_ node: NodeLocation) async throws {
        guard let address = node.address, let command = record.provisioning?.delete else { return }
        try await runLocally(command.map { $0.replacingOccurrences(of: "{host}", with: address).replacingOccurrences(of: "{node}", with: node.id) },
                             doing: "delete machine \(address) of node '\(node.id)'")
    }

    /// A machine that cannot be asked (twice) has its servers taken for running: a server is
    /// only given up on for what its machine says, and one that is really gone fails the
    /// Redis commands sent to it.
    public func conditions(of servers: [HostedServer]) async -> [ServerCondition] {
        var result = Array(repeating: ServerCondition.running, count: servers.count)
        let now = ContinuousClock.now
        var asked: [Int] = []
        for (index, server) in servers.enumerated() {
            if let known = seen[server], now - known.at < Self.seenFor {
                result[index] = known.condition
            } else {
                asked.append(index)
            }
        }
        let words = await askEachMachine(.conditions, about: asked, machine: { servers[$0].node.address },
                                         argument: { "\(servers[$0].pid):\(servers[$0].port)" })
        for (index, word) in words {
            result[index] = word == "running" ? .running : word == "stopped" ? .stopped : .gone
            seen[servers[index]] = (result[index], now)
        }
        if seen.count > 4_096 { seen = seen.filter { now - $0.value.at < Self.seenFor } }
        return result
    }

    /// Runs `script` on every machine at once (each answer costs a remote session; a machine
    /// that does not answer is asked once more), with one argument per item on that machine.
    /// - Returns: The word each machine printed for each of its items, by item; nothing for
    ///   the items of a machine that could not be asked or printed another number of words.
    func askEachMachine(_ script: RemoteScript, about items: [Int], machine: (Int) -> String?,
                        argument: (Int) -> String) async -> [Int: Substring] {
        let answers = await withTaskGroup(of: ([Int], String?).self) { group in
            for (address, indices) in Dictionary(grouping: items, by: machine) {
                let arguments = indices.map(argument)
                group.addTask {
                    if let answer = try? await self.run(script, arguments, on: address, timeout: .seconds(10)) { return (indices, answer) }
                    return (indices, try? await self.run(script, arguments, on: address, timeout: .seconds(10)))
                }
            }
            var all: [([Int], String?)] = []
            for await answer in group { all.append(answer) }
            return all
        }
        var words: [Int: Substring] = [:]
        for (indices, answer) in answers {
            let said = answer?.split(whereSeparator: \.isWhitespace) ?? []
            guard said.count == indices.count else { continue }
            for (index, word) in zip(indices, said) { words[index] = word }
        }
        return words
    }

    /// Forgets what was seen of the servers on a machine: maintctl is about to change them.
    private func forget(on address: String?) {
        seen = seen.filter { $0.key.node.address != address }
    }

    public func signal(_ signal: ServerSignal, to servers: [HostedServer]) async {
        let name = switch signal {
        case .pause: "STOP"
        case .resume: "CONT"
        case .kill: "KILL"
        }
        for (address, group) in Dictionary(grouping: servers, by: \.node.address) {
            defer { forget(on: address) }
            _ = try? await run(.signal, [name] + group.map { "\($0.pid):\($0.port)" }, on: address, timeout: .seconds(10))
        }
    }

    public func stop(_ server: HostedServer, grace: Duration) async {
        defer { forget(on: server.node.address) }
        let tenths = Int(grace.components.seconds * 10) + Int(grace.components.attoseconds / 100_000_000_000_000_000)
        _ = try? await run(.stop, ["\(server.pid):\(server.port)", String(max(1, tenths))], on: server.node.address, timeout: grace + .seconds(30))
    }

    public func stopServers(under directory: String, on node: NodeLocation) async {
        defer { forget(on: node.address) }
        _ = try? await run(.stopUnder, [remote(directory)], on: node.address, timeout: .seconds(60))
    }

    public func makeDirectory(_ path: String, on node: NodeLocation) async throws {
        _ = try await run(.makeDirectory, [remote(path)], on: node.address)
    }

    public func remove(_ path: String, on node: NodeLocation) async {
        _ = try? await run(.remove, [remote(path)], on: node.address)
    }

    public func tail(of file: String, on node: NodeLocation) async -> String {
        let text = (try? await run(.tail, [remote(file)], on: node.address, timeout: .seconds(10))) ?? ""
        let lines = text.split(separator: "\n").suffix(5).joined(separator: " | ")
        return lines.isEmpty ? "its log \(remote(file)) on \(node.address ?? "?") is empty" : lines
    }

    public func writeSecret(_ contents: String, in directory: String, on node: NodeLocation) async throws -> String {
        let path = directory + "/.secret-\(UInt64.random(in: .min ... .max))"
        _ = try await run(.writeFromInput, [remote(path)], on: node.address, input: Data(contents.utf8))
        return path
    }

    public func writeFile(_ contents: Data, to path: String, on node: NodeLocation) async throws {
        _ = try await run(.replaceFromInput, [remote(path)], on: node.address, input: contents)
    }

    public func workingDirectory(of server: HostedServer) async -> String? {
        let answer = try? await run(.workingDirectory, ["\(server.pid):\(server.port)"], on: server.node.address, timeout: .seconds(10))
        return answer.map { $0.trimmingCharacters(in: .newlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
