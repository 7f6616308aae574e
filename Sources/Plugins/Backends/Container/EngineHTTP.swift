import MaintenanceKit
import NIOCore
import NIOHTTP1
import NIOPosix

/// An answer of the container engine: the HTTP status and the whole body.
struct EngineResponse: Sendable {
    var status: Int
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// HTTP/1.1 requests to a container engine's API on a unix socket, one connection each
/// (the engine closes it after the answer), with a time limit on the whole exchange.
enum EngineHTTP {
    /// Sends one request and returns the engine's answer, whatever its status.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - path: The path and query (`/v1.41/containers/json?all=1`).
    ///   - socket: The engine's unix socket.
    ///   - body: The request body, if any.
    ///   - contentType: The body's type.
    ///   - timeout: How long the exchange may take.
    /// - Throws: `BackendError` with code `engine-unreachable` when the socket does not answer,
    ///   `engine-timeout` when the answer does not come in time.
    static func send(_ method: HTTPMethod, _ path: String, socket: String, body: [UInt8]? = nil,
                     contentType: String = "application/json", timeout: Duration) async throws -> EngineResponse {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(unixDomainSocketPath: socket) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw BackendError(.engineUnreachable, "cannot connect to the container engine at unix://\(socket): \(error)")
        }
        return try await withThrowingTaskGroup(of: EngineResponse?.self) { group in
            group.addTask {
                try await exchange(on: channel, method: method, path: path, body: body, contentType: contentType)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                channel.channel.close(promise: nil)
                throw BackendError(.engineTimeout, "the container engine at unix://\(socket) did not answer \(method) \(path) within \(timeout)")
            }
            return response
        }
    }

    private static func exchange(on channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, method: HTTPMethod,
                                 path: String, body: [UInt8]?, contentType: String) async throws -> EngineResponse {
        try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers.add(name: "Host", value: "engine")
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "Content-Length", value: "\(body?.count ?? 0)")
            if body != nil { head.headers.add(name: "Content-Type", value: contentType) }
            var parts: [HTTPClientRequestPart] = [.head(head)]
            if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            parts.append(.end(nil))
            // The engine may answer and close before the last (empty) write of the request
            // goes out (it does for a detached exec start): its answer counts all the same.
            var writeFailure: (any Error)?
            do {
                try await outbound.write(contentsOf: parts)
            } catch {
                writeFailure = error
            }
            var status = 0
            var received: [UInt8] = []
            for try await part in inbound {
                switch part {
                case let .head(response): status = Int(response.status.code)
                case var .body(buffer): received += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end: return EngineResponse(status: status, body: received)
                }
            }
            throw BackendError(.engineClosed, "the container engine closed the connection before answering \(method) \(path)"
                               + (writeFailure.map { " (sending the request: \($0))" } ?? ""))
        }
    }
}
