import MaintenanceKit

extension ClusterState.Copy {
    /// Its node, where its host has it.
    var location: NodeLocation { NodeLocation(id: node, address: host) }
    /// Its server's process on its node's machine.
    var server: HostedServer { HostedServer(node: location, pid: pid, port: port) }
}

extension ProcessBackend {
    /// What each copy's server process is now, in the order given (one question to the host).
    func conditions(of copies: [ClusterState.Copy]) async -> [ServerCondition] {
        await host.conditions(of: copies.map(\.server))
    }

    /// Whether the copy's server still runs as the process we started (paused or not).
    func isOurs(_ copy: ClusterState.Copy) async -> Bool {
        await conditions(of: [copy]).first != .gone
    }

    /// The copies whose servers still run as the processes we started (paused or not).
    func ours(_ copies: [ClusterState.Copy]) async -> [ClusterState.Copy] {
        zip(copies, await conditions(of: copies)).filter { $0.1 != .gone }.map(\.0)
    }

    /// The copies whose servers run and are not paused.
    func running(_ copies: [ClusterState.Copy]) async -> [ClusterState.Copy] {
        zip(copies, await conditions(of: copies)).filter { $0.1 == .running }.map(\.0)
    }

    /// Where a node is (its machine's address from the state; node ids are unique in the fleet).
    func location(of node: String) -> NodeLocation {
        NodeLocation(id: node, address: store.state.caches.lazy.flatMap(\.nodes).first { $0.id == node }?.host)
    }
}
