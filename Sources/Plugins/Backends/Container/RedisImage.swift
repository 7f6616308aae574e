import Foundation
import MaintenanceKit
import ProcessBackend

/// Builds a minimal image from this machine's `redis-server`: the binary, the shared
/// libraries it loads, and `sleep` (what a node's container runs while its servers come and
/// go). No registry is needed; the engine imports the archive (about 18 MB, under a second).
enum RedisImage {
    /// Where the server binary lies in the image; `redis-server` is on the image's PATH.
    static let serverPath = "usr/local/bin/redis-server"
    /// What keeps a node's container running.
    static let keeper = ["/bin/sleep", "infinity"]

    /// The root file system of an image that runs `binary`, as a tar archive.
    /// - Parameter binary: The `redis-server` to put in the image (a path, or a name on PATH).
    /// - Throws: `BackendError` when the binary or a library it needs cannot be read.
    static func archive(of binary: String) throws -> [UInt8] {
        let server = try LocalProcessHost.executable(binary)
        // The file itself (Debian's redis-server is a link to redis-check-rdb, which looks at
        // its name to know which it is: in the image it is named redis-server).
        let serverFile = URL(fileURLWithPath: server).resolvingSymlinksInPath().path
        let sleep = try LocalProcessHost.executable("sleep")
        var archive = TarArchive()
        try archive.addFile(serverPath, contents: read(serverFile), mode: 0o755)
        try archive.addFile("bin/sleep", contents: read(sleep), mode: 0o755)
        var libraries: [String] = []
        for path in try sharedLibraries(of: serverFile) + sharedLibraries(of: sleep) where !libraries.contains(path) {
            libraries.append(path)
        }
        for library in libraries {
            try archive.addFile(String(library.drop { $0 == "/" }), contents: read(library), mode: 0o755)
        }
        return archive.finished
    }

    /// What tells one build of `binary` from another: its file's path, size and modification time.
    /// - Throws: `BackendError` when the binary cannot be found or read.
    static func identity(of binary: String) throws -> String {
        let file = URL(fileURLWithPath: try LocalProcessHost.executable(binary)).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else {
            throw BackendError(.imageBuildFailed, "cannot read \(file) to build the image")
        }
        return "\(file) \(size) \(Int(modified.timeIntervalSince1970))"
    }

    /// The shared libraries `binary` loads, the dynamic loader among them.
    static func sharedLibraries(of binary: String) throws -> [String] {
        try SharedLibraries.of(binary, failing: .imageBuildFailed)
    }

    private static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackendError(.imageBuildFailed, "cannot read \(path) to build the image")
        }
        return Array(data)
    }
}
