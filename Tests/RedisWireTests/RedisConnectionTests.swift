import Foundation
import RedisWire
import Testing

/// Against a real redis-server on a free loopback port.
@Suite(.serialized) struct RedisConnectionTests {
    @Test func talksToARealServer() async throws {
        let server = try TestRedisServer()
        defer { server.stop() }
        let connection = try await RedisConnection.connect(port: server.port)
        #expect(try await connection.command("PING") == .simpleString("PONG"))
        try await connection.command("SET", "greeting", "hello")
        #expect(try await connection.command("GET", "greeting").string == "hello")
        #expect(try await connection.send(["NOSUCHCOMMAND"]).description.contains("unknown command"))
        await #expect(throws: RedisError.self) { try await connection.command("INCR", "greeting") }
        // Pipelined from many tasks at once, every reply reaches its own command.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await connection.command("SET", "k\(index)", "v\(index)")
                    #expect(try await connection.command("GET", "k\(index)").string == "v\(index)")
                }
            }
            try await group.waitForAll()
        }
        #expect(try await connection.command("DBSIZE").integer == 201)
        await connection.close()
    }

    @Test func refusedConnectionIsAClearError() async throws {
        let port = try TestRedisServer.freePort()
        await #expect {
            _ = try await RedisConnection.connect(port: port, timeout: .seconds(1))
        } throws: { error in
            (error as? RedisError)?.kind == .connect && "\(error)".contains("127.0.0.1:\(port)")
        }
    }

    @Test func aStalledServerTimesOut() async throws {
        let server = try TestRedisServer()
        defer { server.stop() }
        let connection = try await RedisConnection.connect(port: server.port)
        kill(server.pid, SIGSTOP)
        defer { kill(server.pid, SIGCONT) }
        let started = ContinuousClock.now
        await #expect {
            _ = try await connection.send(["PING"], timeout: .milliseconds(300))
        } throws: { error in (error as? RedisError)?.kind == .timeout }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}

/// A redis-server on a free loopback port, stopped by its pid.
final class TestRedisServer: Sendable {
    let port: Int
    let pid: pid_t
    private let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "redis-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Another test may take the free port before this server binds it: then this server
        // exits, and a server that is not ours answers on the port. Only our own log saying it
        // is ready counts; otherwise try another port.
        for _ in 0..<5 {
            let port = try Self.freePort()
            let log = directory + "/redis-\(port).log"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", directory, "--logfile", log]
            try process.run()
            for _ in 0..<250 where process.isRunning {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if text.contains("Ready to accept connections"), (try? Self.canConnect(port)) == true {
                    self.port = port
                    self.pid = process.processIdentifier
                    return
                }
                usleep(20_000)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        throw RedisError(.connect, "redis-server did not start; see \(directory)")
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RedisError(.connect, "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
