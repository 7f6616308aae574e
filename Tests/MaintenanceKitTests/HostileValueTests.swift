import Foundation
import MaintenanceKit
import Testing

/// Well-formed YAML with hostile values: huge numbers, expansion bombs, long names.
@Suite struct HostileValueTests {
    static let hugeDurations = ["1e300", "\"" + String(repeating: "999999999h", count: 3000) + "\"", "9223372036854775807", "400d"]

    @Test(arguments: hugeDurations)
    func hugeDurationsAreRejected(value: String) {
        let found = Fixtures.diagnostics("name: x\nsteps:\n  - step: delete_vms\n    timeout: \(value)\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 4)
        #expect(found.first.map { $0.message.count < 300 } == true)
    }

    @Test func hugeSizesAndCapacitiesAreRejected() {
        let inventory = Fixtures.inventoryText
            .replacingOccurrences(of: "size_mb: 300", with: "size_mb: 1e300")
            .replacingOccurrences(of: "id: b1, version: \"1.0\", capacity: { memory_mb: 8192, cpus: 4 }", with: "id: b1, version: \"1.0\", capacity: { memory_mb: 8192, cpus: 1e300 }")
        let problems: [String]
        do {
            _ = try InventoryLoader.load(SourceFile(path: "inv.yaml", text: inventory))
            problems = []
        } catch {
            problems = error.diagnostics.map(\.message)
        }
        #expect(problems.contains("size_mb must be between 0 and 100000000"))
        #expect(problems.contains("cpus must be positive and at most 100000"))
    }

    @Test func aVariableExpansionBombIsStopped() {
        let big = String(repeating: "x", count: 100_000)
        let uses = Array(repeating: "${v}", count: 2000).joined()
        let started = ContinuousClock.now
        let found = Fixtures.diagnostics("name: x\nvariables: { v: \"\(big)\" }\nsteps:\n  - step: create_vms\n    with: { version: \"\(uses)\" }\n")
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(found.map(\.code) == [.documentTooComplex])
        #expect(found.map(\.description).joined().count < 1000)
    }

    @Test func longNamesDoNotMakeSuggestionsSlow() {
        let long = String(repeating: "n", count: 10_000)
        let started = ContinuousClock.now
        let found = Fixtures.diagnostics("name: x\nsteps:\n  - step: create_vms\n    with: { version: \"2\", nodes: [\(long)a, \(long)b] }\n")
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(found.count == 2)
        #expect(found.allSatisfy { $0.message.count < 300 })
    }

    @Test func controlCharactersAreEscapedInMessages() {
        let found = Fixtures.diagnostics("name: x\nsteps:\n  - step: \"evil\\u001b[2Jstep\"\n")
        #expect(found.first?.message.contains("\\u{1B}") == true)
        #expect(found.first?.message.contains("\u{1B}") == false)
    }
}
