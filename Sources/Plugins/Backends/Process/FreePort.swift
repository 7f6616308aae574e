import Foundation
import MaintenanceKit

/// Chooses a loopback port for a new server to listen on (``FreePort/find()`` unless a test
/// hands out one that is taken).
public typealias PortChooser = @Sendable () throws -> Int

/// Free TCP ports on 127.0.0.1 for servers to listen on, chosen below the machine's ephemeral
/// range (`net.ipv4.ip_local_port_range`): a port from that range, free when chosen, may be taken
/// by any outgoing connection before the server binds it, and on a machine with many clients
/// (tests, probes, benchmarks) it often is.
public enum FreePort {
    /// A port no socket of this machine is bound to now, outside the ephemeral range when
    /// there is room below it (else one the system picks).
    /// - Throws: `BackendError` when no socket can be bound.
    public static func find() throws -> Int {
        let ephemeral = ephemeralRange()
        let below = 10_000..<max(10_000, ephemeral.lowerBound)
        if below.count >= 1_000 {
            for _ in 0..<64 {
                let port = Int.random(in: below)
                if try bind(port) != nil { return port }
            }
        }
        guard let port = try bind(0) else { throw BackendError(.noPort, "no free loopback port: \(String(cString: strerror(errno)))") }
        return port
    }

    /// Binds `port` (0: any) on 127.0.0.1 and lets it go; the port bound, or nil when taken.
    private static func bind(_ port: Int) throws -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BackendError(.noPort, "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// The ports the system gives outgoing connections (Linux's default when unreadable).
    private static func ephemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return 32_768...60_999 }
        return bounds[0]...bounds[1]
    }
}
