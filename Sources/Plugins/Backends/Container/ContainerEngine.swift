import Foundation
import MaintenanceKit
import NIOHTTP1

/// A container engine that speaks the Docker Engine API on a unix socket: `dockerd`, or
/// Podman's `podman system service`. Only the calls the container backend needs: images,
/// containers, and processes started in them.
public struct ContainerEngine: Sendable {
    /// The API version maintctl is written against (dockerd 20.10 and Podman 4 serve it).
    /// Every field it uses is the same up to 1.52, so an engine that no longer serves 1.41
    /// (Docker 29 and later start at 1.44) is spoken to at its oldest version.
    static let preferredVersion = APIVersion(major: 1, minor: 41)

    /// The engine's unix socket.
    public let socket: String
    /// The API version agreed with the engine, asked once.
    private let agreed = AgreedVersion()

    /// The engine's endpoint as `DOCKER_HOST` spells it.
    public var endpoint: String { "unix://" + socket }

    /// The engine at `endpoint` (`unix:///path/to/socket`).
    /// - Throws: `BackendError` for an endpoint that is not a unix socket.
    public init(endpoint: String) throws {
        guard endpoint.hasPrefix("unix://"), endpoint.count > "unix://".count else {
            throw BackendError(.engineEndpoint, "container engine endpoint '\(endpoint)' is not a unix socket (unix:///path); "
                               + "the container backend talks to a local engine only")
        }
        socket = String(endpoint.dropFirst("unix://".count))
    }

    /// The engine `DOCKER_HOST` names, else dockerd's default socket.
    /// - Throws: `BackendError` when `DOCKER_HOST` is not a unix socket.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ContainerEngine {
        let endpoint = environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "unix:///var/run/docker.sock"
        return try ContainerEngine(endpoint: endpoint)
    }

    // MARK: - Requests

    /// Sends a request and returns the answer when its status is one of `accepted`.
    /// - Throws: `BackendError`: the engine's own message for another status; what to start
    ///   when nothing answers on the socket.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, json: (any Encodable)? = nil, accepting accepted: Set<Int> = [200, 201, 204],
              timeout: Duration = .seconds(30)) async throws -> EngineResponse {
        let body = try json.map { Array(try JSONEncoder().encode($0)) }
        return try await call(method, path, body: body, contentType: "application/json", accepting: accepted, timeout: timeout)
    }

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String, accepting accepted: Set<Int>,
              timeout: Duration, versioned: Bool = true) async throws -> EngineResponse {
        let response: EngineResponse
        do {
            let prefix = versioned ? "/v\(try await version())" : ""
            response = try await EngineHTTP.send(method, prefix + path, socket: socket, body: body,
                                                 contentType: contentType, timeout: timeout)
        } catch let error as BackendError where error.code == .engineUnreachable {
            throw BackendError(.engineUnreachable, Self.notAnswering(endpoint, because: error.message))
        }
        guard accepted.contains(response.status) else {
            throw BackendError(.engineRefused, "container engine: \(method) \(path): \(response.status) \(Self.message(in: response))")
        }
        return response
    }

    /// What to do when no engine answers.
    static func notAnswering(_ endpoint: String, because reason: String) -> String {
        "no container engine answers at \(endpoint) (\(reason)). Start one and run again: "
            + "`dockerd &` as root (Debian/Ubuntu: apt-get install -y docker.io), or `podman system service --time=0 unix:///run/podman/podman.sock &`; "
            + "set DOCKER_HOST=unix:///path/to/its.sock when it listens elsewhere than /var/run/docker.sock"
    }

    /// The `message` of an engine's error answer, else its body.
    static func message(in response: EngineResponse) -> String {
        struct Failure: Decodable { var message: String }
        return (try? JSONDecoder().decode(Failure.self, from: Data(response.body)))?.message
            ?? response.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Percent-encodes a path segment or query value.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    // MARK: - The engine

    /// Checks that the engine answers.
    /// - Throws: `BackendError` naming what to start and how when it does not.
    public func ping() async throws {
        try await call(.GET, "/_ping", body: nil, contentType: "", accepting: [200], timeout: .seconds(5), versioned: false)
    }

    /// The API version to speak: ``preferredVersion`` when the engine serves it, else the
    /// nearest one it serves. Asked once (`GET /version`, unversioned).
    func version() async throws -> APIVersion {
        if let known = agreed.value { return known }
        struct Served: Decodable { var ApiVersion: String; var MinAPIVersion: String? }
        let response = try await call(.GET, "/version", body: nil, contentType: "", accepting: [200], timeout: .seconds(10), versioned: false)
        guard let served = try? JSONDecoder().decode(Served.self, from: Data(response.body)),
              let newest = APIVersion(served.ApiVersion) else {
            throw BackendError(.engineVersion, "the container engine at \(endpoint) did not say which API versions it serves: \(response.text)")
        }
        let chosen = Self.preferredVersion.clamped(oldest: served.MinAPIVersion.flatMap(APIVersion.init), newest: newest)
        agreed.value = chosen
        return chosen
    }

    // MARK: - Images

    /// An image as the engine has it.
    struct ImageState: Decodable, Sendable {
        struct Settings: Decodable, Sendable { var Labels: [String: String]? }
        /// The engine's id (`sha256:…`). Containers are created from it: engines resolve a
        /// short name differently when they look an image up and when they create from it
        /// (Podman imports as `localhost/NAME` but creates from `docker.io/NAME`).
        var Id: String
        var Config: Settings?

        var labels: [String: String] { self.Config?.Labels ?? [:] }
    }

    /// The image named `image`, nil when the engine has none.
    func inspectImage(_ image: String) async throws -> ImageState? {
        let response = try await call(.GET, "/images/\(Self.escape(image))/json", accepting: [200, 404])
        guard response.status == 200 else { return nil }
        return try JSONDecoder().decode(ImageState.self, from: Data(response.body))
    }

    /// Imports a root file system (a tar archive) as `image`, with `labels`.
    func importImage(_ archive: [UInt8], as image: String, labels: [String: String]) async throws {
        // The tag goes with the repository (the API allows both forms; Podman reads only this one).
        let changes = labels.sorted { $0.key < $1.key }.map { "&changes=" + Self.escape("LABEL \($0.key)=\(Self.quoted($0.value))") }.joined()
        let response = try await call(.POST, "/images/create?fromSrc=-&repo=\(Self.escape(image))" + changes,
                                      body: archive, contentType: "application/x-tar", accepting: [200], timeout: .seconds(120))
        // The engine streams progress as JSON lines with status 200; a failure is one of them.
        if response.text.contains("\"error\"") {
            throw BackendError(.imageImportFailed, "container engine: importing \(image): \(response.text)")
        }
    }

    /// `text` as a Dockerfile instruction's double-quoted string.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Removes `image` (and the layers only it uses); one that is not there is left alone.
    /// - Throws: `BackendError` when the engine does not answer or refuses.
    public func removeImage(_ image: String) async throws {
        try await call(.DELETE, "/images/\(Self.escape(image))?force=1", accepting: [200, 404])
    }

    // MARK: - Containers

    /// The state of a container the engine has.
    struct ContainerState: Decodable, Sendable {
        struct State: Decodable, Sendable { var Running: Bool }
        var State: State
        /// The id of the image it was created from.
        var Image: String
    }

    /// The container named `name`, nil when there is none.
    func container(_ name: String) async throws -> ContainerState? {
        let response = try await call(.GET, "/containers/\(Self.escape(name))/json", accepting: [200, 404])
        guard response.status == 200 else { return nil }
        return try JSONDecoder().decode(ContainerState.self, from: Data(response.body))
    }

    /// Creates a container (not started).
    func createContainer(_ name: String, _ spec: ContainerSpec) async throws {
        try await call(.POST, "/containers/create?name=\(Self.escape(name))", json: spec, accepting: [201])
    }

    /// Starts a container; one that runs already is left alone.
    func startContainer(_ name: String) async throws {
        try await call(.POST, "/containers/\(Self.escape(name))/start", accepting: [204, 304])
    }

    /// Kills a container with SIGKILL; one that is not running is left alone.
    func killContainer(_ name: String) async throws {
        try await call(.POST, "/containers/\(Self.escape(name))/kill?signal=KILL", accepting: [204, 404, 409])
    }

    /// Removes a container, killing what runs in it; one that is gone is left alone.
    func removeContainer(_ name: String) async throws {
        try await call(.DELETE, "/containers/\(Self.escape(name))?force=1&v=1", accepting: [204, 404])
    }

    /// A container as the engine lists it.
    struct Listed: Decodable, Sendable {
        var Id: String
        var Names: [String]
        var Image: String
        var State: String
        var Labels: [String: String]?

        /// The name without the engine's leading slash.
        var name: String { Names.first.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? "" }
    }

    /// The containers, running or not, that carry `label` = `value`.
    func containers(labelled label: String, _ value: String) async throws -> [Listed] {
        let filters = Self.escape(#"{"label":["\#(label)=\#(value)"]}"#)
        let response = try await call(.GET, "/containers/json?all=1&filters=\(filters)")
        return try JSONDecoder().decode([Listed].self, from: Data(response.body))
    }

    // MARK: - Processes in containers

    /// A process started in a container: the engine's id of the exec and the pid it runs as.
    struct Execution: Sendable {
        var id: String
        var pid: Int32
    }

    /// What the engine says of an exec.
    private struct ExecState: Decodable {
        var Running: Bool
        var ExitCode: Int?
        var Pid: Int32

        /// Over: not running, with an exit code that is not the zero some engines report
        /// before the start, or with the pid it ran as.
        var exited: Bool { !Running && ExitCode.map { $0 != 0 || Pid > 0 } == true }
    }

    /// Starts `command` in the running container `name`, detached, and returns it once it
    /// runs, with the pid the engine reports for it.
    /// - Throws: `BackendError` with code `exec-failed` when the process ends at once or
    ///   reports no pid.
    func execute(_ command: [String], in name: String, user: String) async throws -> Execution {
        struct Created: Decodable { var Id: String }
        let created = try await call(.POST, "/containers/\(Self.escape(name))/exec",
                                     json: ExecSpec(Cmd: command, User: user), accepting: [201])
        let id = try JSONDecoder().decode(Created.self, from: Data(created.body)).Id
        try await call(.POST, "/exec/\(id)/start", json: ["Detach": true, "Tty": false], accepting: [200, 204])
        for _ in 0..<200 {
            let state = try await execState(id)
            if state.Running, state.Pid > 0 { return Execution(id: id, pid: state.Pid) }
            if state.exited {
                throw BackendError(.execFailed, "\(command.first ?? "") in container \(name) exited at once with status \(state.ExitCode ?? -1)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BackendError(.execFailed, "\(command.first ?? "") in container \(name) reported no pid within a second")
    }

    /// Whether the engine says the exec still runs.
    func isRunning(_ execution: Execution) async throws -> Bool {
        try await execState(execution.id).Running
    }

    private func execState(_ id: String) async throws -> ExecState {
        try JSONDecoder().decode(ExecState.self, from: Data(try await call(.GET, "/exec/\(id)/json").body))
    }
}
