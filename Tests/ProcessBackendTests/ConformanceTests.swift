import BackendConformance
import LiveClusterSupport
import Testing

/// The backend conformance suite, against real redis-server servers on local processes and
/// on containers: every check in turn on one live cluster of the conformance inventory.
@Suite(.serialized) struct ProcessConformanceTests {
    @Test(arguments: LiveCluster.Nodes.allCases)
    func passesEveryCheck(nodes: LiveCluster.Nodes) async throws {
        try await LiveCluster.with(nodes, inventory: BackendConformance.inventory) { cluster in
            for check in BackendConformance.checks { try await check.run(cluster.backend) }
        }
    }
}
