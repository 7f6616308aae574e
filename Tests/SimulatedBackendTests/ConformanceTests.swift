import BackendConformance
import SimulatedBackend
import Testing

/// The backend conformance suite, against the simulation.
@Suite struct SimulatedConformanceTests {
    @Test(arguments: BackendConformance.checks.map(\.name))
    func passes(check name: String) async throws {
        let check = try #require(BackendConformance.checks.first { $0.name == name })
        try await check.run(SimulatedBackend(inventory: BackendConformance.inventory))
    }

    @Test func passesEveryCheckInTurnOnOneFleet() async throws {
        let backend = SimulatedBackend(inventory: BackendConformance.inventory)
        for check in BackendConformance.checks { try await check.run(backend) }
        #expect(await backend.violations.map(\.invariant).sorted() == [1, 4])
    }
}
