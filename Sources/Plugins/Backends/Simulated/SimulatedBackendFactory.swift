import MaintenanceKit

/// Makes simulated backends: the request's inventory as an in-memory world on a virtual clock.
public struct SimulatedBackendFactory: BackendFactory {
    public init() {}

    public var descriptor: BackendDescriptor { SimulatedBackend.descriptor }
    public var drivesLiveCluster: Bool { false }
    /// The world lives in the journal itself: a lost tail loses its last moments with their record.
    public var journalDurability: JournalDurability { .processCrash }

    public func make(_ request: BackendRequest) async throws -> (backend: any Backend, fleet: Inventory) {
        (SimulatedBackend(inventory: request.inventory, config: config(request), clock: VirtualClock(timeScale: request.timeScale)),
         request.inventory)
    }

    public func rebuild(_ request: BackendRequest, journaled: [CacheTopology]) async throws -> any Backend {
        SimulatedBackend(topologies: journaled, config: config(request), clock: VirtualClock(timeScale: request.timeScale))
    }

    private func config(_ request: BackendRequest) -> SimulationConfig {
        var config = SimulationConfig(seed: request.seed)
        config.detection = request.detection
        return config
    }
}
