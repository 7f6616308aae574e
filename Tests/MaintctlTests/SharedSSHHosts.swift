import LiveClusterSupport
import Testing

/// A suite trait: the suite's tests share one set of SSH hosts (network namespaces with an
/// `sshd` each), made before its first test and torn down after its last, also when one fails.
/// Each test still leaves the hosts as it found them (its cluster taken down, no fault left).
struct SharedSSHHosts: SuiteTrait, TestScoping {
    /// How many hosts.
    let count: Int

    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard SSHHosts.isAvailable else { return try await function() }
        try await SSHHosts.with(hosts: count) { hosts in
            try await SSHHosts.$shared.withValue(hosts) { try await function() }
        }
    }
}

extension Trait where Self == SharedSSHHosts {
    /// The suite's tests share `count` SSH hosts.
    static func sharingSSHHosts(_ count: Int) -> Self { SharedSSHHosts(count: count) }
}
