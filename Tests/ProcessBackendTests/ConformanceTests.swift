import BackendConformance
import Foundation
import Logging
import ProcessBackend
import Testing

/// The backend conformance suite, against real redis-server processes: every check in turn
/// on one live cluster of the conformance inventory.
@Suite(.serialized) struct ProcessConformanceTests {
    @Test func passesEveryCheck() async throws {
        let directory = LiveCluster.scratch + "maintctl-conformance-\(UUID().uuidString)"
        let backend = try await ProcessBackend.up(BackendConformance.inventory, in: directory,
                                                  binaries: ["default": "redis-server"], logger: Logger(label: "test"))
        do {
            for check in BackendConformance.checks { try await check.run(backend) }
        } catch {
            try? await backend.down()
            throw error
        }
        try await backend.down()
        #expect(!FileManager.default.fileExists(atPath: directory))
    }
}
