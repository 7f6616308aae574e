import MaintenanceKit

/// The faults a run injects: its plan's faults (the playbook's `faults:` list) and its
/// `--inject` options, checked against the fleet, the plan's steps and what the backend can do,
/// and sorted by cache.
enum InjectedFaults {
    /// - Throws: `Exit.invalidInput` after one clear line per problem; nothing has run.
    static func resolve(_ plan: MaintenanceKit.Plan, injecting options: [String], backend: any Backend) throws -> [String: [ScheduledFault]] {
        var faults = plan.faults
        var problems: [String] = []
        let targeted = plan.basis.inventory.caches.filter { cache in plan.caches.contains { $0.cache == cache.id } }
        let steps = plan.steps.map(\.plugin)
        for text in options {
            do {
                let fault = try FaultSyntax.parse(text)
                problems += FaultSyntax.problems(with: fault, caches: targeted, steps: steps).map { "--inject '\(text)': \($0)" }
                faults.append(fault)
            } catch {
                problems.append("--inject '\(text)': \(error.message)")
            }
        }
        guard !faults.isEmpty || !problems.isEmpty else { return [:] }
        let kinds = Set(faults.map(\.fault.kind))
        let backendID = backend.descriptor.id
        if let injector = backend as? any FaultInjecting {
            for kind in kinds.subtracting(injector.injectableFaults).sorted(by: { $0.rawValue < $1.rawValue }) {
                problems.append("the \(backendID) backend cannot inject a '\(kind.rawValue)' fault for real "
                                + "(it can: \(injector.injectableFaults.map(\.rawValue).sorted().joined(separator: ", ")))")
            }
        } else {
            problems.append("the \(backendID) backend cannot inject faults")
        }
        for problem in problems { Output.error("maintctl: error: \(problem)") }
        guard problems.isEmpty else { throw Exit.invalidInput }
        let topologies = targeted.map(CacheTopology.init)
        var byCache: [String: [ScheduledFault]] = [:]
        for fault in faults {
            if let cache = FaultSyntax.cache(of: fault, among: topologies) { byCache[cache, default: []].append(fault) }
        }
        return byCache
    }
}
