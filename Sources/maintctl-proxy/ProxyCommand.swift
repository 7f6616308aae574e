import ArgumentParser
import Foundation
import Logging
import NodeEndpoint
import NIOCore
import Synchronization
import RedisWire

/// `maintctl-proxy`: the node endpoint. The backends start one per node; parsing and wiring only.
@main
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintctl-proxy",
        abstract: "Serve one Redis Cluster cache to any Redis client through one address.",
        discussion: "Reads the slot map from the seeds, then listens; routes each command to the primary of its key's slot. SIGTERM or SIGINT stops it.")

    @Option(help: "Where clients connect (HOST:PORT).")
    var listen: String

    @Option(name: .customLong("also-listen"), help: "An address taken over from an endpoint whose node left (HOST:PORT); repeatable.")
    var adoptedAddresses: [String] = []

    @Option(name: .customLong("peer"), help: "The endpoint of another node of the cache (HOST:PORT), asked to confirm a failure; repeatable.")
    var peers: [String] = []

    @Flag(help: "This endpoint runs on the leader node: it fails over a primary a quorum of endpoints finds dead.")
    var leader = false

    @Option(help: "Milliseconds a primary must be silent before it is failed over.")
    var downAfterMs: Int = 800

    @Option(name: .customLong("seed"), help: "A server of the cache to read the slot map from (HOST:PORT); repeatable.")
    var seeds: [String]

    @Option(help: "The control socket maintctl steers the endpoint through (a unix socket path, made mode 0600).")
    var control: String?

    @Option(help: "An environment variable holding the cache's password.")
    var passwordEnv: String?

    @Option(help: "A file holding the cache's password.")
    var passwordFile: String?

    @Option(help: "With --tls-cert-file and --tls-key-file: speak TLS only, to clients, servers and peers; their certificates must be signed by this CA (PEM).")
    var tlsCaFile: String?

    @Option(help: "The certificate (PEM) the endpoint presents to clients and servers.")
    var tlsCertFile: String?

    @Option(help: "The certificate's private key (PEM).")
    var tlsKeyFile: String?

    @Option(help: "Event loops (default: half the cores, at least one; the node's servers need the rest).")
    var threads: Int = EndpointConfiguration.defaultThreads

    @Option(help: "The most clients at once.")
    var maxClients: Int = 10_000

    @Option(help: "Disconnect a client idle this many seconds (0: never).")
    var idleTimeout: Int = 0

    @Option(help: "The largest request in bytes.")
    var maxRequestBytes: Int = 512 << 20

    @Flag(help: "Run in the background: start a detached copy, write its pid to --pid-file, and exit.")
    var daemonize = false

    @Option(help: "With --daemonize: where the endpoint's pid is written.")
    var pidFile: String?

    @Option(help: "Where the endpoint logs (standard error when not given).")
    var logFile: String?

    func validate() throws {
        guard ServerAddress(listen) != nil else { throw ValidationError("--listen '\(listen)' is not HOST:PORT") }
        guard !seeds.isEmpty else { throw ValidationError("at least one --seed HOST:PORT is needed") }
        for seed in seeds where ServerAddress(seed) == nil { throw ValidationError("--seed '\(seed)' is not HOST:PORT") }
        for address in adoptedAddresses where ServerAddress(address) == nil { throw ValidationError("--also-listen '\(address)' is not HOST:PORT") }
        for peer in peers where ServerAddress(peer) == nil { throw ValidationError("--peer '\(peer)' is not HOST:PORT") }
        guard (100...600_000).contains(downAfterMs) else { throw ValidationError("--down-after-ms must be 100 to 600000") }
        guard passwordEnv == nil || passwordFile == nil else { throw ValidationError("give --password-env or --password-file, not both") }
        let tlsFiles = [tlsCaFile, tlsCertFile, tlsKeyFile].compactMap { $0 }
        guard tlsFiles.isEmpty || tlsFiles.count == 3 else { throw ValidationError("TLS needs --tls-ca-file, --tls-cert-file and --tls-key-file together") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1 to 256") }
        guard maxClients > 0, idleTimeout >= 0, maxRequestBytes > 0 else { throw ValidationError("limits must be positive") }
        guard maxRequestBytes <= Int(Int32.max) else { throw ValidationError("--max-request-bytes is at most \(Int32.max)") }
        guard !daemonize || (pidFile != nil && logFile != nil) else { throw ValidationError("--daemonize needs --pid-file and --log-file") }
    }

    func run() async throws {
        if daemonize {
            let arguments = Array(CommandLine.arguments.dropFirst()).filter { $0 != "--daemonize" }
            return try Detach.run(arguments: arguments, pidFile: pidFile!, logFile: logFile!)
        }
        if let logFile {
            let descriptor = open(logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard descriptor >= 0 else { throw ValidationError("cannot write the log file \(logFile)") }
            dup2(descriptor, 1)
            dup2(descriptor, 2)
            close(descriptor)
        }
        var logger = Logger(label: "maintctl-proxy")
        logger.logLevel = .info
        var configuration = EndpointConfiguration(listen: ServerAddress(listen)!, seeds: seeds.compactMap { ServerAddress($0) },
                                                  password: try password(), threads: threads)
        configuration.controlSocket = control
        if let tlsCaFile, let tlsCertFile, let tlsKeyFile {
            do {
                configuration.tls = try RedisTLS(caFile: tlsCaFile, certFile: tlsCertFile, keyFile: tlsKeyFile)
            } catch {
                throw ValidationError(error.message)
            }
        }
        configuration.adoptedAddresses = adoptedAddresses.compactMap { ServerAddress($0) }
        configuration.peers = peers.compactMap { ServerAddress($0) }
        configuration.coordinates = leader
        configuration.downAfter = .milliseconds(downAfterMs)
        configuration.maxClients = maxClients
        configuration.idleTimeout = idleTimeout > 0 ? .seconds(Int64(idleTimeout)) : nil
        configuration.maxRequestBytes = maxRequestBytes
        Self.raiseFileLimit()
        let server = EndpointServer(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask { await Self.termination() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The password, read from where the flags say; never from the command line itself.
    private func password() throws -> Secret? {
        if let passwordEnv {
            guard let value = ProcessInfo.processInfo.environment[passwordEnv], !value.isEmpty else {
                throw ValidationError("the environment variable \(passwordEnv) named by --password-env is not set")
            }
            return Secret(value)
        }
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw ValidationError("cannot read the password file \(passwordFile)")
            }
            // A trailing line break is the file's, not the password's (as maintctl reads it).
            var text = String(decoding: data, as: UTF8.self)
            while let last = text.unicodeScalars.last, last == "\n" || last == "\r" { text.unicodeScalars.removeLast() }
            return Secret(text)
        }
        return nil
    }

    /// Every client is a file descriptor: take as many as the hard limit allows.
    private static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Returns on SIGTERM or SIGINT, or when cancelled (the server ended first, say it could
    /// not bind its port: the endpoint then exits with that error instead of waiting).
    private static func termination() async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        let waiter = SignalWaiter()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                waiter.wait(continuation)
                for source in sources {
                    source.setEventHandler { waiter.end() }
                    source.resume()
                }
            }
        } onCancel: {
            waiter.end()
        }
        for source in sources { source.cancel() }
    }
}

/// Resumes its waiter once, whoever comes first: a signal or cancellation.
final class SignalWaiter: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, ended: Bool)>((nil, false))

    func wait(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow = state.withLock { state -> Bool in
            guard !state.ended else { return true }
            state.continuation = continuation
            return false
        }
        if resumeNow { continuation.resume() }
    }

    func end() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = (nil, true) }
            return state.continuation
        }
        continuation?.resume()
    }
}
