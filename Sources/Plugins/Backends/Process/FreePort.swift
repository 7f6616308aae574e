import Foundation
import MaintenanceKit

/// Chooses a loopback port for a new server to listen on (``FreePort/find()`` unless a test
/// hands out one that is taken).
public typealias PortChooser = @Sendable () throws -> Int

/// Free TCP ports on 127.0.0.1, found by binding port 0.
public enum FreePort {
    /// A port no socket of this machine is bound to now.
    /// - Throws: `BackendError` when no socket can be bound.
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BackendError(.noPort, "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BackendError(.noPort, "no free loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
