@testable import ContainerBackend
import Foundation
import LiveClusterSupport
import Logging
import MaintenanceKit
import ProcessBackend
import Testing

/// What only the container backend does: talk to an engine, build and pick images, refuse
/// a cluster of another backend. The checks it shares with the process backend (conformance,
/// rolling patch under a probe, faults) run on both in ProcessBackendTests.
@Suite(.serialized) struct ContainerBackendTests {
    static let inventory = LiveCluster.packageRoot + "/Playbooks/inventories/local-cluster.yaml"

    @Test func anEngineThatDoesNotAnswerIsOneClearErrorAndNothingIsMade() async throws {
        let directory = LiveCluster.scratch + "maintctl-no-engine-\(UUID().uuidString)"
        let engine = try ContainerEngine(endpoint: "unix://\(directory)-engine.sock")
        await #expect {
            _ = try await ContainerBackend.up(try InventoryLoader.load(path: Self.inventory), in: directory, images: [:],
                                              redisServer: "redis-server", engine: engine, logger: Logger(label: "test"))
        } throws: { error in
            let text = "\(error)"
            return text.contains("no container engine answers at unix://\(directory)-engine.sock") && text.contains("dockerd")
                && text.contains("podman system service") && text.contains("DOCKER_HOST")
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func aMissingImageIsOneClearErrorWithItsTag() async throws {
        let directory = LiveCluster.scratch + "maintctl-no-image-\(UUID().uuidString)"
        await #expect {
            _ = try await ContainerBackend.up(try InventoryLoader.load(path: Self.inventory), in: directory,
                                              images: ["7.0.15": "maintctl-test/absent:7.0.15"], redisServer: "redis-server",
                                              engine: try ContainerEngine.fromEnvironment(), logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("has no image 'maintctl-test/absent:7.0.15' for version 7.0.15")
                && "\(error)".contains("--image 7.0.15=IMAGE")
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func aNewVersionGetsItsImageAndADeletedNodeLosesItsContainer() async throws {
        try await LiveCluster.with(.containers) { cluster in
            let backend = cluster.backend
            #expect(backend.descriptor.id == "container")
            let spec = NodeSpec(id: "fresh", version: "7.2.5", capacity: Capacity(memoryMB: 512, cpus: 1))
            try await backend.createNodes([spec], in: "local")
            let fresh = try #require(try await cluster.containers()?.first { $0.node == "fresh" })
            #expect(fresh.image == "maintctl/redis:7.2.5" && fresh.running)
            try await backend.addReplica(of: "s2", on: "fresh", in: "local")
            _ = try await backend.waitForSync(of: "s2", on: "fresh", in: "local")
            let copy = try #require(await backend.status().first { $0.node == "fresh" })
            // The server runs inside the node's container (in its cgroup).
            let cgroup = try String(contentsOfFile: "/proc/\(copy.pid)/cgroup", encoding: .utf8)
            #expect(cgroup.contains(fresh.id))
            try await backend.removeCopy(of: "s2", from: "fresh", in: "local")
            try await backend.drainNode("fresh", in: "local")
            try await backend.removeNode("fresh", in: "local")
            try await backend.deleteNodes(["fresh"], in: "local")
            #expect(try await cluster.containers()?.contains { $0.node == "fresh" } == false)
            #expect(!FileManager.default.fileExists(atPath: cluster.directory + "/nodes/fresh"))
        }
    }

    @Test(arguments: ["7.2.5+build", "-7", "7 2", "7:2", "7/2"])
    func aVersionThatMakesNoImageTagIsRefusedBeforeAnythingIsMade(version: String) async throws {
        try await LiveCluster.with(.containers) { cluster in
            let before = try await cluster.containers()
            await #expect {
                try await cluster.backend.createNodes([NodeSpec(id: "fresh", version: version, capacity: Capacity(memoryMB: 512, cpus: 1))],
                                                      in: "local")
            } throws: { error in
                "\(error)".contains("version '\(version)' makes no image tag")
            }
            #expect(try await cluster.containers() == before)
            #expect(try await cluster.backend.topology(of: "local").node("fresh") == nil)
        }
    }

    @Test func aContainerClusterIsNotTakenForOneOfProcesses() async throws {
        try await LiveCluster.with(.containers) { cluster in
            #expect {
                _ = try ProcessBackend(directory: cluster.directory, logger: Logger(label: "test"))
            } throws: { error in
                "\(error)".contains("holds a cluster of the container backend; use --backend container")
            }
            let attached = try ProcessBackend(directory: cluster.directory, logger: Logger(label: "test"), attach: ContainerBackend.attach)
            #expect(attached.descriptor.id == "container")
            #expect(await attached.status().count == 6)
            await attached.close()
        }
    }

    @Test func anArchiveIsOneThatTarReads() throws {
        var archive = TarArchive()
        try archive.addFile("usr/local/bin/tool", contents: Array("#!/bin/true\n".utf8), mode: 0o755)
        try archive.addFile("lib/x/lib.so", contents: [UInt8](repeating: 7, count: 1000), mode: 0o644)
        let path = LiveCluster.scratch + "maintctl-tar-\(UUID().uuidString).tar"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(archive.finished)))
        #expect(archive.finished.count % 512 == 0)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-tvf", path]
        let output = Pipe()
        tar.standardOutput = output
        tar.standardError = output
        try tar.run()
        let listing = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0, "\(listing)")
        let lines = listing.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: " ").last.map(String.init) ?? "" } == ["usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/tool", "lib/", "lib/x/", "lib/x/lib.so"])
        #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x") && $0.contains(" 12 ") && $0.hasSuffix("usr/local/bin/tool") })
        #expect(lines.contains { $0.hasPrefix("-rw-r--r--") && $0.contains(" 1000 ") && $0.hasSuffix("lib/x/lib.so") })
        #expect(throws: TarArchive.PathTooLong.self) { try archive.addFile(String(repeating: "a", count: 101), contents: [], mode: 0o644) }
    }

    @Test func theAPIVersionIsTheOneMaintctlPrefersWhenServedElseTheNearest() {
        let preferred = ContainerEngine.preferredVersion
        #expect(preferred.clamped(oldest: APIVersion("1.12"), newest: APIVersion(major: 1, minor: 41)).description == "1.41")
        #expect(preferred.clamped(oldest: APIVersion("1.44"), newest: APIVersion(major: 1, minor: 52)).description == "1.44")
        #expect(preferred.clamped(oldest: nil, newest: APIVersion(major: 1, minor: 40)).description == "1.40")
        #expect(APIVersion("v1") == nil && APIVersion("1.x") == nil)
    }

    @Test func anEndpointThatIsNotAUnixSocketIsRefused() throws {
        #expect(throws: BackendError.self) { try ContainerEngine.fromEnvironment(["DOCKER_HOST": "tcp://127.0.0.1:2375"]) }
        #expect(try ContainerEngine.fromEnvironment([:]).socket == "/var/run/docker.sock")
        #expect(try ContainerEngine.fromEnvironment(["DOCKER_HOST": "unix:///run/podman/podman.sock"]).socket == "/run/podman/podman.sock")
    }
}
