import Foundation
import MaintenanceKit
@testable import ProcessBackend
import Synchronization
import LiveClusterSupport
import Testing

/// A port that someone else takes between our choice and the server's bind.
@Suite struct PortCollisionTests {
    @Test func aTakenPortMakesTheCopyStartOnAnother() async throws {
        let squatter = try PortSquatter()
        defer { squatter.close() }
        let taken = squatter.port
        let ports = CollidingPorts(taken: taken)
        try await LiveCluster.with(choosePort: ports.choose) { cluster in
            // The next copy's data port collides; every later choice is really free.
            ports.collideNext()
            try await cluster.backend.createNodes([NodeSpec(id: "fresh", version: "7.0.15", capacity: Capacity(memoryMB: 1024, cpus: 2))], in: "local")
            try await cluster.backend.addReplica(of: "s2", on: "fresh", in: "local")
            _ = try await cluster.backend.waitForSync(of: "s2", on: "fresh", in: "local")
            // Healthy once it also reports `cluster_state:ok`, which its gossip reaches a moment
            // after the sync on a loaded machine (bounded wait).
            var fresh = try #require(await cluster.backend.status().first { $0.node == "fresh" })
            for _ in 0..<100 where !fresh.healthy {
                try await Task.sleep(for: .milliseconds(100))
                fresh = try #require(await cluster.backend.status().first { $0.node == "fresh" })
            }
            #expect(fresh.port != taken && fresh.healthy)
        }
    }
}

/// Listens on a free loopback port, as another program would.
final class PortSquatter: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ready else {
            Glibc.close(fd)
            throw BackendError(BackendErrorCode("squat"), "cannot listen on a loopback port")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}

/// Free ports, except once, when told, a port that is taken.
final class CollidingPorts: Sendable {
    let taken: Int
    private let collides = Mutex(false)

    init(taken: Int) { self.taken = taken }

    /// Makes the next choice the taken port.
    func collideNext() { collides.withLock { $0 = true } }

    /// The taken port once after `collideNext()`, else a free one.
    func choose() throws -> Int {
        let collide = collides.withLock { value in
            defer { value = false }
            return value
        }
        return collide ? taken : try FreePort.find()
    }
}
