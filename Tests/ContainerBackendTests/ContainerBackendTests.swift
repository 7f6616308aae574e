import ContainerBackend
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

    @Test func anEndpointThatIsNotAUnixSocketIsRefused() throws {
        #expect(throws: BackendError.self) { try ContainerEngine.fromEnvironment(["DOCKER_HOST": "tcp://127.0.0.1:2375"]) }
        #expect(try ContainerEngine.fromEnvironment([:]).socket == "/var/run/docker.sock")
        #expect(try ContainerEngine.fromEnvironment(["DOCKER_HOST": "unix:///run/podman/podman.sock"]).socket == "/run/podman/podman.sock")
    }
}
