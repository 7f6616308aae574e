import Foundation
import MaintenanceKit

/// The endpoint (`maintctl-proxy`) of this machine as a place that lacks it runs it (a node's
/// container, another machine): the binary, the shared libraries it loads and the dynamic
/// loader, under one directory, started through that loader. It then needs nothing of the
/// place but the kernel, whatever its C library or Swift runtime.
public struct EndpointBundle: Sendable {
    /// A file of the bundle: where it is on this machine, and its path in the bundle.
    public struct File: Sendable {
        public var source: String
        public var path: String
    }

    /// The binary first, then each library under `lib/`.
    public let files: [File]
    /// The path in the bundle of the dynamic loader.
    public let loader: String

    /// The bundle of `binary`.
    /// - Throws: `BackendError` (`endpoint-start-failed`) when `ldd` cannot list its libraries
    ///   or it links no dynamic loader.
    public init(binary: String) throws {
        let resolved = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        var files = [File(source: resolved, path: "maintctl-proxy")]
        var names: Set<String> = []
        for library in try SharedLibraries.of(resolved, failing: .endpointStartFailed) {
            let name = URL(fileURLWithPath: library).lastPathComponent
            guard names.insert(name).inserted else { continue }
            files.append(File(source: URL(fileURLWithPath: library).resolvingSymlinksInPath().path, path: "lib/" + name))
        }
        guard let loader = files.map(\.path).first(where: { $0.hasPrefix("lib/ld-linux") || $0.hasPrefix("lib/ld-musl") }) else {
            throw BackendError(.endpointStartFailed, "\(binary) links no dynamic loader to run it with elsewhere")
        }
        self.files = files
        self.loader = loader
    }

    /// The command that starts the endpoint with `arguments` from the bundle at `root`.
    public func command(at root: String, arguments: [String]) -> [String] {
        [root + "/" + loader, "--library-path", root + "/lib", root + "/maintctl-proxy"] + arguments
    }
}
