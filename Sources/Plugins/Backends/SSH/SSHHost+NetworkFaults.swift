import Foundation
import MaintenanceKit
import ProcessBackend
import RedisWire

/// What happens to a machine's network for real: whether other machines reach a node's
/// servers (the failure detector asks before a verdict), and the `partition` and `slow`
/// faults, which the machine ends by itself on time.
extension SSHHost {
    public func reach(_ servers: [ServerAddress], from node: NodeLocation, caFile: String?) async -> Bool? {
        let arguments = [caFile.map(remote) ?? ""] + servers.flatMap { [$0.host, String($0.port)] }
        guard let answer = try? await run(.reach, arguments, on: node.address, timeout: .seconds(3)) else {
            return nil
        }
        return answer.contains("yes")
    }

    public nonisolated var networkFaults: Set<FaultKind> { [.partition, .slow] }

    public func partition(_ node: NodeLocation, from peers: [String], for duration: Duration) async throws {
        let port = machines[node.address ?? ""]?.ssh?.port ?? 22
        _ = try await run(.partition, [faultTag(node), Self.seconds(duration), String(port)] + peers, on: node.address)
    }

    /// Each step of slowdown above 1x adds 5 ms to what the machine sends (`tc netem`); a
    /// kernel without netem holds the machine to 1 Gbit/s divided by the factor instead (`tc tbf`).
    public func slow(_ node: NodeLocation, factor: Double, for duration: Duration) async throws -> String {
        let microseconds = Int((factor - 1) * 5_000)
        let kilobits = Int(1_000_000 / factor)
        let how = try await run(.slow, [node.address ?? "", String(microseconds), String(kilobits), Self.seconds(duration)], on: node.address)
        return how.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func healNetwork(_ node: NodeLocation) async {
        _ = try? await run(.heal, [faultTag(node), node.address ?? ""], on: node.address)
    }

    /// The name of the firewall chain of a node's partition: short (iptables allows 28
    /// characters) and the node's own.
    private func faultTag(_ node: NodeLocation) -> String {
        "mctl-" + Self.shortHash(remoteDirectory + "/" + node.id)
    }

    /// Seconds to the millisecond (at least one): what the machine's `sleep` waits before it
    /// ends a fault.
    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = max(1, duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
        return "\(milliseconds / 1_000).\(String(milliseconds % 1_000 + 1_000).dropFirst())"
    }
}
