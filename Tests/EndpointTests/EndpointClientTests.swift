import Foundation
import LiveClusterSupport
import ProcessBackend
import Testing

/// A real client library, redis-py 8 with no cluster support, through the node endpoints of a
/// live cluster: every command family, in RESP2 and RESP3, compared with the servers' own answers.
@Suite(.serialized) struct EndpointClientTests {
    /// The endpoints of the cluster's nodes (`host:port`), and its servers.
    static func addresses(of cluster: LiveCluster) async throws -> (endpoints: [String], servers: [String]) {
        let endpoints = await cluster.backend.endpointStatus().filter(\.running).compactMap(\.endpoint)
        try #require(endpoints.count == 3, "every node runs an endpoint: \(endpoints)")
        let servers = await cluster.backend.serverAddresses().map { "\($0.host):\($0.port)" }
        return (endpoints, servers)
    }

    /// On containers, the endpoint runs inside the node's container.
    @Test(arguments: LiveCluster.Nodes.allCases, [2, 3])
    func everyCommandFamilyThroughTheEndpoint(nodes: LiveCluster.Nodes, protocolVersion: Int) async throws {
        try await LiveCluster.with(nodes) { cluster in
            let (endpoints, servers) = try await Self.addresses(of: cluster)
            let outcome = try await ClientScript.run("endpoint_checks.py", [
                "--endpoint", endpoints[0], "--endpoint2", endpoints[1], "--direct", servers.joined(separator: ","),
                "--protocol", String(protocolVersion), "--check", "all",
            ])
            #expect(outcome.checks.count == 18, "every check ran: \(outcome.checks) \(outcome.stderr)")
            for check in outcome.checks { #expect(check.ok, "\(check)") }
            #expect(outcome.status == 0, "\(outcome.stderr)")
        }
    }
}
