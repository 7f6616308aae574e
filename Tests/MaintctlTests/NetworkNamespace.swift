import Foundation
import Testing

/// A network namespace a test makes for itself (root only): what runs in it has a loopback of
/// its own, whose traffic the test may drop with iptables without touching the machine's.
struct NetworkNamespace {
    let name: String

    /// Whether namespaces can be made here: root, with `ip` and `iptables` (scripts/test installs them).
    static var isAvailable: Bool {
        getuid() == 0 && ["/usr/sbin/ip", "/usr/sbin/iptables"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Makes a new namespace with its loopback up.
    static func make() async throws -> NetworkNamespace {
        let namespace = NetworkNamespace(name: "maintctl-\(UUID().uuidString.prefix(8).lowercased())")
        let added = try await CLI.run(program: "/usr/sbin/ip", ["netns", "add", namespace.name])
        try #require(added.status == 0, "ip netns add: \(added.stderr)")
        let up = try await namespace.run("/usr/sbin/ip", ["link", "set", "lo", "up"])
        try #require(up.status == 0, "lo up: \(up.stderr)")
        return namespace
    }

    /// Runs `program arguments…` inside the namespace and waits for it.
    func run(_ program: String, _ arguments: [String]) async throws -> CLI.Result {
        try await CLI.run(program: "/usr/sbin/ip", ["netns", "exec", name, program] + arguments)
    }

    /// Runs `maintctl arguments…` inside the namespace and waits for it.
    func maintctl(_ arguments: [String]) async throws -> CLI.Result {
        try await run(CLI.binary, arguments)
    }

    /// Adds one iptables rule to the namespace's OUTPUT chain (on loopback every packet passes it).
    func drop(_ match: [String]) async throws {
        let added = try await run("/usr/sbin/iptables", ["-A", "OUTPUT"] + match + ["-j", "DROP"])
        try #require(added.status == 0, "iptables \(match): \(added.stderr)")
    }

    /// Removes every rule the test added.
    func allowEverything() async throws {
        let flushed = try await run("/usr/sbin/iptables", ["-F", "OUTPUT"])
        try #require(flushed.status == 0, "iptables -F: \(flushed.stderr)")
    }

    /// Removes the namespace (what ran in it must have been stopped).
    func remove() async {
        _ = try? await CLI.run(program: "/usr/sbin/ip", ["netns", "del", name])
    }
}
